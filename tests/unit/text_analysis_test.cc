#include "storage/text/text_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace newsdesk::text {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// A small deterministic pseudo-random source for generated test texts:
// next(n) is in [0, n).
class RandomBelow {
 public:
  explicit RandomBelow(uint64_t seed) : state_(seed) {}
  uint64_t operator()(uint64_t n) {
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    return (state_ >> 33) % n;
  }

 private:
  uint64_t state_;
};

// The stemming tests need Debian's hunspell-pl; without it they would test
// the fallback only, so fail loudly instead of skipping.
void RequireDictionary() {
  ASSERT_TRUE(Stemmer::Polish().has_dictionary())
      << "the pl_PL hunspell dictionary is missing: apt-get install hunspell-pl";
}

// ---------------------------------------------------------------------------
// Folding

struct FoldCase {
  std::string input;
  std::string folded;
};

TEST(FoldTest, FoldsCaseAndDiacritics) {
  const std::vector<FoldCase> cases = {
      // Every Polish letter, lower and upper case. ł/Ł have no decomposition.
      {"ą", "a"}, {"ć", "c"}, {"ę", "e"}, {"ł", "l"}, {"ń", "n"}, {"ó", "o"}, {"ś", "s"}, {"ź", "z"}, {"ż", "z"},
      {"Ą", "a"}, {"Ć", "c"}, {"Ę", "e"}, {"Ł", "l"}, {"Ń", "n"}, {"Ó", "o"}, {"Ś", "s"}, {"Ź", "z"}, {"Ż", "z"},
      {"Zażółć gęślą jaźń", "zazolc gesla jazn"},
      {"ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc gesla jazn"},
      {"Tałdykorgan", "taldykorgan"},
      {"taldykorgan", "taldykorgan"},
      {"TAŁDYKORGAN", "taldykorgan"},
      {"ałmatyński", "almatynski"},
      {"ŁÓDŹ", "lodz"},
      {"COVID", "covid"},
      {"2018", "2018"},
      {"", ""},
      // Other scripts stay, lowercased; their Combining Diacritical Marks go.
      {"Алматы", "алматы"},
      {"Ἀθῆναι", "αθηναι"},
      // Letters from elsewhere in the Latin script, and compatibility forms.
      {"Straße", "strasse"},
      {"Ørsted", "orsted"},
      {"\xEF\xAC\x81", "fi"},  // the ligature U+FB01
      // A soft hyphen (U+00AD) pasted from a web page does not split a word.
      {"współ\xC2\xADpraca", "wspolpraca"},
  };
  for (const FoldCase& c : cases) EXPECT_EQ(Fold(c.input), c.folded) << c.input;
}

TEST(FoldTest, PolishLettersFoldTheSameWithAndWithoutICU) {
  // Text of ASCII and Polish letters is folded without ICU; a character
  // outside that set ("é") sends the whole word through ICU. Both agree.
  for (const char* letter : {"ą", "ć", "ę", "ł", "ń", "ó", "ś", "ź", "ż", "Ą", "Ć", "Ę", "Ł", "Ń", "Ó", "Ś", "Ź", "Ż"}) {
    EXPECT_EQ(Fold(absl::StrCat("X", letter, "é")), absl::StrCat("x", Fold(letter), "e")) << letter;
  }
}

TEST(FoldTest, KeepsMarksThatArePartOfALetterInOtherScripts) {
  // Devanagari vowel signs are nonspacing marks, but removing them changes
  // the word.
  EXPECT_EQ(Fold("नमस्ते"), "नमस्ते");
}

TEST(FoldTest, SpellingsOfOneWordFoldAlike) {
  EXPECT_EQ(Fold("ałmatyński"), Fold("almatynski"));
  EXPECT_EQ(Fold("Ałmatyński"), Fold("ALMATYNSKI"));
  EXPECT_EQ(Fold("TAŁDYKORGAN"), Fold("Taldykorgan"));
}

// ---------------------------------------------------------------------------
// Tokenisation

struct ExpectedToken {
  size_t begin;
  size_t end;
  std::string surface;
  std::string folded;
};

void ExpectTokens(absl::string_view text, const std::vector<ExpectedToken>& expected) {
  const std::vector<Token> tokens = Tokenize(text);
  ASSERT_EQ(tokens.size(), expected.size()) << text;
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(tokens[i].begin, expected[i].begin) << i;
    EXPECT_EQ(tokens[i].end, expected[i].end) << i;
    EXPECT_EQ(tokens[i].surface, expected[i].surface) << i;
    EXPECT_EQ(tokens[i].folded, expected[i].folded) << i;
    EXPECT_EQ(std::string(text.substr(tokens[i].begin, tokens[i].end - tokens[i].begin)), tokens[i].surface);
  }
}

TEST(TokenizeTest, GivesByteOffsetsAcrossPolishPunctuation) {
  // Byte offsets: „ ” — … are 3 bytes each, ż ó ł ć ę ś ą 2 each.
  //   „ [0,3)  Zażółć [3,13)  ” [13,16)  ' ' 16  — [17,20)  ' ' 20
  //   gęślą [21,29)  ' ' 29  3,5 [30,33)  ' ' 33  zł [34,37)  … [37,40)
  ExpectTokens("„Zażółć” — gęślą 3,5 zł…", {
                                               {3, 13, "Zażółć", "zazolc"},
                                               {21, 29, "gęślą", "gesla"},
                                               {30, 33, "3,5", "3,5"},
                                               {34, 37, "zł", "zl"},
                                           });
}

TEST(TokenizeTest, SplitsHyphensAndKeepsNumbersWhole) {
  // COVID [0,5) - 5 19 [6,8) ' ' 8  12.03.2018 [9,19) ' ' 19 r [20,21) . 21
  // ' ' 22 ( 23 Kazachstan [24,34) ) 34 , 35
  ExpectTokens("COVID-19 12.03.2018 r. (Kazachstan),", {
                                                           {0, 5, "COVID", "covid"},
                                                           {6, 8, "19", "19"},
                                                           {9, 19, "12.03.2018", "12.03.2018"},
                                                           {20, 21, "r", "r"},
                                                           {24, 34, "Kazachstan", "kazachstan"},
                                                       });
}

TEST(TokenizeTest, SkipsPunctuationOnlyAndEmptyText) {
  EXPECT_THAT(Tokenize(""), IsEmpty());
  EXPECT_THAT(Tokenize(" — „…” !? "), IsEmpty());
}

TEST(TokenizeTest, KeepsOtherScripts) {
  // Алматы: 6 Cyrillic letters, 2 bytes each.
  ExpectTokens("Алматы i Tałdykorgan", {
                                           {0, 12, "Алматы", "алматы"},
                                           {13, 14, "i", "i"},
                                           {15, 27, "Tałdykorgan", "taldykorgan"},
                                       });
}

TEST(TokenizeTest, SurvivesInvalidUtf8) {
  const std::string text = "szpital \xFF\xFE w Lublinie";
  const std::vector<Token> tokens = Tokenize(text);
  ASSERT_GE(tokens.size(), 3u);
  EXPECT_EQ(tokens.front().surface, "szpital");
  EXPECT_EQ(tokens.back().surface, "Lublinie");
  EXPECT_EQ(tokens.back().end, text.size());
}

// ---------------------------------------------------------------------------
// Stemming

struct StemCase {
  std::string word;
  std::string stem;  // one of the stems
};

TEST(StemmerTest, StemsPolishInflections) {
  RequireDictionary();
  const std::vector<StemCase> cases = {
      {"Kazachstanie", "kazachstan"},
      {"KAZACHSTANIE", "kazachstan"},
      {"Kazachstan", "kazachstan"},
      // A proper noun typed in lowercase (as in a query) is retried capitalised.
      {"kazachstanie", "kazachstan"},
      {"szpitalem", "szpital"},
      {"szpitalach", "szpital"},
      {"delegacja", "delegacja"},
      {"delegacji", "delegacja"},
      {"delegacjach", "delegacja"},
      {"zdrowia", "zdrowie"},
      {"ochrony", "ochrona"},
      {"obwodzie", "obwod"},  // obwód, folded
      {"wizyty", "wizyta"},
      {"Lublinie", "lublin"},
      {"województwa", "wojewodztwo"},
  };
  const Stemmer& stemmer = Stemmer::Polish();
  for (const StemCase& c : cases) EXPECT_THAT(stemmer.Stems(c.word), Contains(c.stem)) << c.word;
}

TEST(StemmerTest, UnknownWordsFallBackToTheFoldedWord) {
  RequireDictionary();
  const Stemmer& stemmer = Stemmer::Polish();
  // Not in pl_PL: the word itself, folded.
  EXPECT_THAT(stemmer.Stems("Tałdykorganie"), ElementsAre("taldykorganie"));
  EXPECT_THAT(stemmer.Stems("Tałdykorgan"), ElementsAre("taldykorgan"));
  // Not representable in the dictionary's ISO-8859-2.
  EXPECT_THAT(stemmer.Stems("Алматы"), ElementsAre("алматы"));
  EXPECT_THAT(stemmer.Stems("2018"), ElementsAre("2018"));
  EXPECT_THAT(stemmer.Stems(""), IsEmpty());
  // Longer than hunspell accepts.
  EXPECT_THAT(stemmer.Stems(std::string(150, 'a')), ElementsAre(std::string(150, 'a')));
}

TEST(StemmerTest, StemsAreFoldedSortedAndUnique) {
  RequireDictionary();
  for (const char* word : {"Polska", "Lublinie", "szpitalem", "Łodzi"}) {
    const std::vector<std::string> stems = Stemmer::Polish().Stems(word);
    EXPECT_FALSE(stems.empty()) << word;
    EXPECT_TRUE(std::is_sorted(stems.begin(), stems.end())) << word;
    EXPECT_EQ(std::adjacent_find(stems.begin(), stems.end()), stems.end()) << word;
    for (const std::string& s : stems) EXPECT_EQ(Fold(s), s) << word;
  }
}

TEST(StemmerTest, WorksWithoutADictionary) {
  const Stemmer stemmer("/nonexistent/pl_PL.aff", "/nonexistent/pl_PL.dic");
  EXPECT_FALSE(stemmer.has_dictionary());
  EXPECT_THAT(stemmer.Stems("Kazachstanie"), ElementsAre("kazachstanie"));
  EXPECT_THAT(stemmer.Stems("TAŁDYKORGAN"), ElementsAre("taldykorgan"));
  EXPECT_THAT(stemmer.Stems(""), IsEmpty());
  // Everything built on it still works, on folded forms alone.
  EXPECT_EQ(AnalyzeForIndex("Szpital w Kazachstanie", stemmer).terms.size(), 3u);
  const absl::StatusOr<Query> query = ParseQuery("Kazachstanie", stemmer);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_THAT(query->required[0].words[0].variants, ElementsAre("kazachstanie"));
}

TEST(StemmerTest, GivesTheSameAnswersWhenTheCacheTurnsOver) {
  RequireDictionary();
  // Two words per generation: every lookup below rotates the cache.
  const Stemmer small("/usr/share/hunspell/pl_PL.aff", "/usr/share/hunspell/pl_PL.dic", 2);
  const std::vector<std::string> words = {"Kazachstanie", "szpitalem", "delegacji", "zdrowia", "ochrony", "Lublinie"};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& w : words) EXPECT_EQ(small.Stems(w), Stemmer::Polish().Stems(w)) << w;
  }
}

TEST(StemmerTest, IsSafeToShareBetweenThreads) {
  RequireDictionary();
  const Stemmer stemmer("/usr/share/hunspell/pl_PL.aff", "/usr/share/hunspell/pl_PL.dic", 16);
  const std::vector<std::string> words = {"Kazachstanie", "szpitalem", "delegacji", "zdrowia", "ochrony",
                                          "Lublinie",     "obwodzie",  "wizyty",    "Tałdykorganie"};
  std::vector<std::vector<std::string>> expected;
  for (const std::string& w : words) expected.push_back(Stemmer::Polish().Stems(w));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (size_t i = 0; i < words.size(); ++i) {
          // Tokenize and Fold use per-thread ICU objects; exercise them too.
          if (stemmer.Stems(words[i]) != expected[i] || Tokenize(words[i]).size() != 1) ++failures[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_THAT(failures, ElementsAre(0, 0, 0, 0));
}

// ---------------------------------------------------------------------------
// Indexing

const IndexTerm* FindTerm(const AnalyzedText& analyzed, absl::string_view term) {
  for (const IndexTerm& t : analyzed.terms) {
    if (t.term == term) return &t;
  }
  return nullptr;
}

// How often a query word occurs in an analysed text: the positions where any
// of its variants is an index term (what the index computes as tf).
uint32_t Tf(const AnalyzedText& analyzed, const QueryWord& word) {
  std::set<uint32_t> positions;
  for (const std::string& v : word.variants) {
    if (const IndexTerm* t = FindTerm(analyzed, v)) positions.insert(t->positions.begin(), t->positions.end());
  }
  return static_cast<uint32_t>(positions.size());
}

QueryWord Word(absl::string_view query) {
  absl::StatusOr<Query> q = ParseQuery(query);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? q->required.at(0).words.at(0) : QueryWord{};
}

TEST(AnalyzeForIndexTest, IndexesSurfaceFormsAndStemsWithPositions) {
  RequireDictionary();
  // Positions: Szpital 0, w 1, Kazachstanie 2, Kazachstan 3, szpitalem 4.
  const AnalyzedText analyzed = AnalyzeForIndex("Szpital w Kazachstanie. Kazachstan — szpitalem!");
  EXPECT_EQ(analyzed.length, 5u);
  EXPECT_TRUE(std::is_sorted(analyzed.terms.begin(), analyzed.terms.end(),
                             [](const IndexTerm& a, const IndexTerm& b) { return a.term < b.term; }));

  const IndexTerm* kazachstan = FindTerm(analyzed, "kazachstan");
  ASSERT_NE(kazachstan, nullptr);
  EXPECT_THAT(kazachstan->positions, ElementsAre(2, 3));       // a stem at 2, the word itself at 3
  EXPECT_THAT(kazachstan->surface_positions, ElementsAre(3));  // only where it is written so
  const IndexTerm* kazachstanie = FindTerm(analyzed, "kazachstanie");
  ASSERT_NE(kazachstanie, nullptr);
  EXPECT_THAT(kazachstanie->positions, ElementsAre(2));
  EXPECT_THAT(kazachstanie->surface_positions, ElementsAre(2));
  const IndexTerm* szpital = FindTerm(analyzed, "szpital");
  ASSERT_NE(szpital, nullptr);
  EXPECT_THAT(szpital->positions, ElementsAre(0, 4));
  EXPECT_THAT(szpital->surface_positions, ElementsAre(0));
}

TEST(AnalyzeForIndexTest, InflectedFormsFindEachOther) {
  RequireDictionary();
  const AnalyzedText locative = AnalyzeForIndex("Wizyta w Kazachstanie");
  const AnalyzedText nominative = AnalyzeForIndex("Kazachstan");
  EXPECT_EQ(Tf(locative, Word("Kazachstan")), 1u);
  EXPECT_EQ(Tf(nominative, Word("Kazachstanie")), 1u);
  EXPECT_EQ(Tf(locative, Word("kazachstan")), 1u);
  // Folding: with or without diacritics, any case.
  const AnalyzedText almaty = AnalyzeForIndex("Spotkanie w obwodzie ałmatyńskim, w TAŁDYKORGANIE");
  EXPECT_EQ(Tf(almaty, Word("almatynskim")), 1u);
  EXPECT_EQ(Tf(almaty, Word("Tałdykorganie")), 1u);
  EXPECT_EQ(Tf(almaty, Word("taldykorganie")), 1u);
  EXPECT_EQ(Tf(almaty, Word("Lublin")), 0u);
}

TEST(AnalyzeForIndexTest, OverlongTokensTakeAPositionButGiveNoTerms) {
  const std::string text = absl::StrCat("a ", std::string(kMaxTermChars + 1, 'x'), " b");
  const AnalyzedText analyzed = AnalyzeForIndex(text);
  EXPECT_EQ(analyzed.length, 3u);
  ASSERT_NE(FindTerm(analyzed, "b"), nullptr);
  EXPECT_THAT(FindTerm(analyzed, "b")->surface_positions, ElementsAre(2));
  for (const IndexTerm& t : analyzed.terms) EXPECT_LE(t.term.size(), kMaxTermChars);
}

TEST(AnalyzeForIndexTest, EmptyText) {
  const AnalyzedText analyzed = AnalyzeForIndex("  — ");
  EXPECT_EQ(analyzed.length, 0u);
  EXPECT_THAT(analyzed.terms, IsEmpty());
}

// ---------------------------------------------------------------------------
// Queries

struct ValidQueryCase {
  std::string query;
  std::string canonical;
};

TEST(ParseQueryTest, AcceptsValidQueries) {
  const std::vector<ValidQueryCase> cases = {
      {"Kazachstan", "kazachstan"},
      {"TAŁDYKORGAN", "taldykorgan"},
      {"  szpital   Lublin  ", "lublin szpital"},
      {"Lublin szpital", "lublin szpital"},  // order does not matter
      {"almat*", "almat*"},
      {"Ałmat*", "almat*"},
      {"\"ochrona zdrowia\"", "\"ochrona zdrowia\""},
      {"„Ochrona zdrowia”", "\"ochrona zdrowia\""},  // Polish typographic quotes
      {"“ochrona zdrowia”", "\"ochrona zdrowia\""},
      {"\"Kazachstan\"", "kazachstan"},  // a one-word phrase is a word
      {"szpital -Lublin", "szpital -lublin"},
      {"-\"ochrona zdrowia\" szpital", "szpital -\"ochrona zdrowia\""},
      {"szpital -almat*", "szpital -almat*"},
      {"COVID-19 szczepienia", "\"covid 19\" szczepienia"},  // split like the text is
      {"Lublin — Ałmaty", "almaty lublin"},                  // punctuation-only clauses drop
      {"Lublin - Ałmaty", "almaty lublin"},                  // and so does a lone "-"
      {"szpital\"ochrona zdrowia\"", "\"ochrona zdrowia\" szpital"},
      {"Алматы", "алматы"},
      {"\xC2\xA0szpital\xC2\xA0Lublin", "lublin szpital"},  // no-break spaces separate
  };
  for (const ValidQueryCase& c : cases) {
    const absl::StatusOr<Query> query = ParseQuery(c.query);
    ASSERT_TRUE(query.ok()) << c.query << ": " << query.status();
    EXPECT_EQ(Canonical(*query), c.canonical) << c.query;
  }
}

TEST(ParseQueryTest, DescribesClauses) {
  RequireDictionary();
  // Positions are in characters: "Zażółć " is 7 of them.
  const absl::StatusOr<Query> query = ParseQuery("Zażółć Kazachstanie almat* -\"ochrony zdrowia\"");
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_EQ(query->required.size(), 3u);
  ASSERT_EQ(query->excluded.size(), 1u);

  const QueryClause& word = query->required[1];
  EXPECT_EQ(word.kind, QueryClause::Kind::kWord);
  EXPECT_EQ(word.position, 7u);
  ASSERT_EQ(word.words.size(), 1u);
  EXPECT_EQ(word.words[0].folded, "kazachstanie");
  EXPECT_THAT(word.words[0].variants, ElementsAre("kazachstan", "kazachstanie"));

  const QueryClause& prefix = query->required[2];
  EXPECT_EQ(prefix.kind, QueryClause::Kind::kPrefix);
  EXPECT_EQ(prefix.position, 20u);
  EXPECT_EQ(prefix.words[0].folded, "almat");
  EXPECT_THAT(prefix.words[0].variants, ElementsAre("almat"));

  const QueryClause& phrase = query->excluded[0];
  EXPECT_EQ(phrase.kind, QueryClause::Kind::kPhrase);
  EXPECT_EQ(phrase.position, 27u);
  ASSERT_EQ(phrase.words.size(), 2u);
  EXPECT_EQ(phrase.words[0].folded, "ochrony");
  EXPECT_THAT(phrase.words[0].variants, Contains("ochrona"));
  EXPECT_THAT(phrase.words[1].variants, Contains("zdrowie"));
}

TEST(ParseQueryTest, AcceptsTheLimits) {
  std::string words;
  for (size_t i = 0; i < kMaxQueryTerms; ++i) absl::StrAppend(&words, "w", i, " ");
  EXPECT_TRUE(ParseQuery(words).ok());
  EXPECT_TRUE(ParseQuery(std::string(kMaxTermChars, 'a')).ok());
  // 64 characters of 2 bytes each.
  std::string polish;
  for (size_t i = 0; i < kMaxTermChars; ++i) polish += "ł";
  EXPECT_TRUE(ParseQuery(polish).ok());
  EXPECT_TRUE(ParseQuery("ab*").ok());
}

struct InvalidQueryCase {
  std::string query;
  std::string message;  // a part of it
  size_t position;      // characters
};

TEST(ParseQueryTest, RejectsInvalidQueriesNamingThePosition) {
  std::string too_many;
  for (size_t i = 0; i <= kMaxQueryTerms; ++i) absl::StrAppend(&too_many, "w", i, " ");
  // w0..w9 take 3 characters each, w10..w31 4 each: w32 starts at 30 + 88.
  std::string too_many_in_phrase = "\"";
  for (size_t i = 0; i <= kMaxQueryTerms; ++i) absl::StrAppend(&too_many_in_phrase, "w", i, " ");
  too_many_in_phrase += "\"";

  const std::vector<InvalidQueryCase> cases = {
      {"", "empty", 0},
      {"   ", "empty", 0},
      {"— … !", "no words", 0},
      {"-", "no words", 0},
      {"\"ochrona zdrowia", "unbalanced quote", 0},
      {"szpital \"ochrona zdrowia", "unbalanced quote", 8},
      // Characters, not bytes: "zażółć " is 7 characters and 11 bytes.
      {"zażółć „gęślą", "unbalanced quote", 7},
      {"-Lublin", "only excluded", 0},
      {"  -Lublin -\"ochrona zdrowia\"", "only excluded", 2},
      {"a*b", "'*' is allowed only at the end", 1},
      {"ałm**", "'*' is allowed only at the end", 3},
      {"*", "at least 2 letters", 0},
      {"szpital a*", "at least 2 letters", 9},
      {"szpital ł*", "at least 2 letters", 9},
      {"covid-1*", "single word", 0},
      {too_many, "more than 32 words", 118},
      {too_many_in_phrase, "more than 32 words", 119},
      {absl::StrCat("Kazachstan ", std::string(kMaxTermChars + 1, 'a')), "longer than 64 characters", 11},
      {absl::StrCat("ż \"", std::string(kMaxTermChars + 1, 'a'), "\""), "longer than 64 characters", 3},
      {std::string(kMaxQueryChars + 1, ' '), "longer than 1000 characters", 1000},
  };
  for (const InvalidQueryCase& c : cases) {
    const absl::StatusOr<Query> query = ParseQuery(c.query);
    ASSERT_FALSE(query.ok()) << c.query;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument) << c.query;
    const std::string message(query.status().message());
    EXPECT_THAT(message, StartsWith("query: ")) << c.query;
    EXPECT_THAT(message, HasSubstr(c.message)) << c.query;
    EXPECT_THAT(message, HasSubstr(absl::StrCat(" at position ", c.position))) << c.query;
  }
}

// ---------------------------------------------------------------------------
// BM25

TEST(Bm25Test, ScoresAHandCheckedCorpus) {
  RequireDictionary();
  // Three documents (one field each):
  //   d1 "Szpital w Lublinie."                                        3 tokens
  //   d2 "Kazachstan buduje szpital, a szpitalem kieruje lekarz."     7 tokens
  //   d3 "Kazachstanie, wiosną."                                      2 tokens
  // N = 3, avgdl = 12 / 3 = 4.
  const std::vector<AnalyzedText> docs = {
      AnalyzeForIndex("Szpital w Lublinie."),
      AnalyzeForIndex("Kazachstan buduje szpital, a szpitalem kieruje lekarz."),
      AnalyzeForIndex("Kazachstanie, wiosną."),
  };
  ASSERT_EQ(docs[0].length, 3u);
  ASSERT_EQ(docs[1].length, 7u);
  ASSERT_EQ(docs[2].length, 2u);
  const double avgdl = 4.0;
  auto score = [&](const QueryWord& word, size_t doc, double weight) {
    uint64_t df = 0;
    for (const AnalyzedText& d : docs) df += Tf(d, word) > 0;
    return Bm25(Tf(docs[doc], word), df, docs.size(), docs[doc].length, avgdl, weight);
  };

  // "szpital": tf d1 = 1, d2 = 2 (szpital, szpitalem), d3 = 0; df = 2.
  //   idf = ln(1 + (3 − 2 + 0.5) / (2 + 0.5)) = ln 1.6 = 0.4700036292
  //   d1: K = 1.2·(0.25 + 0.75·3/4) = 0.975;  1·2.2 / (1 + 0.975) = 1.1139240506
  //       → 0.4700036292 · 1.1139240506 = 0.5235483465
  //   d2: K = 1.2·(0.25 + 0.75·7/4) = 1.875;  2·2.2 / (2 + 1.875) = 1.1354838710
  //       → 0.5336815403
  const QueryWord szpital = Word("szpital");
  EXPECT_NEAR(score(szpital, 0, kBodyWeight), 0.5235483465, 1e-9);
  EXPECT_NEAR(score(szpital, 1, kBodyWeight), 0.5336815403, 1e-9);
  EXPECT_EQ(score(szpital, 2, kBodyWeight), 0.0);

  // "Kazachstan": tf d2 = 1, d3 = 1 (Kazachstanie); df = 2, idf as above.
  //   d2: 2.2 / (1 + 1.875) = 0.7652173913 → 0.3596549511
  //   d3: K = 1.2·(0.25 + 0.75·2/4) = 0.75;  2.2 / 1.75 = 1.2571428571 → 0.5908617053
  //   d3 as a title (×3): 1.7725851160
  const QueryWord kazachstan = Word("Kazachstan");
  EXPECT_NEAR(score(kazachstan, 1, kBodyWeight), 0.3596549511, 1e-9);
  EXPECT_NEAR(score(kazachstan, 2, kBodyWeight), 0.5908617053, 1e-9);
  EXPECT_NEAR(score(kazachstan, 2, kTitleWeight), 1.7725851160, 1e-9);

  // "lekarz": only d2, df = 1: idf = ln(1 + 2.5 / 1.5) = 0.9808292530
  //   d2: 0.9808292530 · 0.7652173913 = 0.7505476023 (rarer words weigh more)
  EXPECT_NEAR(score(Word("lekarz"), 1, kBodyWeight), 0.7505476023, 1e-9);
}

TEST(Bm25Test, BehavesAtTheEdges) {
  EXPECT_EQ(Bm25(0, 5, 10, 100, 100), 0.0);
  EXPECT_EQ(Bm25(3, 0, 10, 100, 100), 0.0);
  EXPECT_EQ(Bm25(3, 5, 0, 100, 100), 0.0);
  // A word in every document still scores a little, and df above N is capped.
  EXPECT_GT(Bm25(1, 10, 10, 100, 100), 0.0);
  EXPECT_EQ(Bm25(1, 12, 10, 100, 100), Bm25(1, 10, 10, 100, 100));
  // No average length: no length normalisation (K = k1).
  EXPECT_NEAR(Bm25(1, 1, 1, 50, 0), std::log(1 + 0.5 / 1.5) * 2.2 / 2.2, 1e-12);
  // More occurrences score more but saturate below idf·(k1 + 1).
  const double idf = std::log(1 + 9.5 / 1.5);
  double previous = 0;
  for (uint32_t tf = 1; tf <= 1000; tf *= 10) {
    const double s = Bm25(tf, 1, 10, 100, 100);
    EXPECT_GT(s, previous);
    EXPECT_LT(s, idf * (kBm25K1 + 1));
    previous = s;
  }
  // Shorter documents score more for the same tf.
  EXPECT_GT(Bm25(1, 1, 10, 50, 100), Bm25(1, 1, 10, 200, 100));
  // Field weights multiply, title above tags above lead above body.
  EXPECT_DOUBLE_EQ(Bm25(2, 3, 10, 80, 100, kTitleWeight), 3 * Bm25(2, 3, 10, 80, 100, kBodyWeight));
  EXPECT_GT(kTitleWeight, kTagsWeight);
  EXPECT_GT(kTagsWeight, kLeadWeight);
  EXPECT_GT(kLeadWeight, kBodyWeight);
}

// ---------------------------------------------------------------------------
// Snippets

// The characters a reader sees: no markup, entities decoded, the ellipses
// that mark cuts left out.
std::string Visible(std::string snippet) {
  snippet = absl::StrReplaceAll(snippet, {{"<mark>", ""}, {"</mark>", ""}});
  if (snippet.rfind("…", 0) == 0) snippet.erase(0, 3);
  if (snippet.size() >= 3 && snippet.compare(snippet.size() - 3, 3, "…") == 0) snippet.resize(snippet.size() - 3);
  return absl::StrReplaceAll(
      snippet, {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}});
}

size_t Chars(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool ValidUtf8(absl::string_view s) {
  int32_t i = 0;
  const auto length = static_cast<int32_t>(s.size());
  while (i < length) {
    UChar32 c;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, length, c);
    if (c < 0) return false;
  }
  return true;
}

// A long text with the words of interest in its middle.
std::string LongText() {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "Współpraca gospodarcza rozwija się powoli. ";
  text += "Polska delegacja odwiedziła szpital w Kazachstanie, gdzie rozmawiano o ochronie zdrowia. ";
  for (int i = 0; i < 20; ++i) text += "Źdźbło żółtej trawy łączy obie łąki. ";
  return text;
}

TEST(SnippetTest, WithoutAMatchShowsTheStartCutAtAWord) {
  const std::string text = LongText();
  const std::string snippet = Snippet(text, {"lekarz"}, 60);
  EXPECT_THAT(snippet, StartsWith("Współpraca gospodarcza"));
  EXPECT_THAT(snippet, Not(HasSubstr("<mark>")));
  // Ends with a whole word (punctuation attached to it stays) and "…".
  EXPECT_EQ(snippet, "Współpraca gospodarcza rozwija się powoli. Współpraca…");
  EXPECT_LE(Chars(Visible(snippet)), 60u);
}

TEST(SnippetTest, ShortTextIsShownWhole) {
  EXPECT_EQ(Snippet("„Krótki tekst” — bez zmian.", {}), "„Krótki tekst” — bez zmian.");
  EXPECT_EQ(Snippet("  Szpital\n\nw   Lublinie.  ", {"szpital"}), "<mark>Szpital</mark> w Lublinie.");
  EXPECT_EQ(Snippet("", {"szpital"}), "");
  EXPECT_EQ(Snippet("Szpital", {"szpital"}, 0), "");
}

TEST(SnippetTest, MarksMatchesInTheMiddleWithEllipsesAtBothEnds) {
  RequireDictionary();
  const std::string text = LongText();
  // "kazachstan" and "zdrowie" are stems of the words in the text.
  const std::string snippet = Snippet(text, {"kazachstan", "zdrowie"}, 120);
  EXPECT_THAT(snippet, StartsWith("…"));
  EXPECT_THAT(snippet, testing::EndsWith("…"));
  EXPECT_THAT(snippet, HasSubstr("w <mark>Kazachstanie</mark>,"));
  EXPECT_THAT(snippet, HasSubstr("<mark>zdrowia</mark>."));
  EXPECT_LE(Chars(Visible(snippet)), 120u);
  EXPECT_TRUE(ValidUtf8(snippet));
  // Cut between words: the visible text is a run of whole words of the text.
  const std::string visible = Visible(snippet);
  EXPECT_NE(text.find(visible), std::string::npos) << visible;
  const size_t at = text.find(visible);
  EXPECT_TRUE(at == 0 || text[at - 1] == ' ');
  EXPECT_TRUE(at + visible.size() == text.size() || text[at + visible.size()] == ' ');
}

TEST(SnippetTest, MatchesAtTheStartAndTheEndGetNoEllipsisThere) {
  const std::string text = LongText();
  const std::string start = Snippet(text, {"wspolpraca"}, 80);
  EXPECT_THAT(start, StartsWith("<mark>Współpraca</mark> gospodarcza"));
  EXPECT_THAT(start, testing::EndsWith("…"));

  const std::string end = Snippet("Na początku nic. " + std::string(300, 'x') + " Na końcu są łąki.", {"laki"}, 40);
  EXPECT_EQ(end, "…Na końcu są <mark>łąki</mark>.");
}

TEST(SnippetTest, PicksTheDensestRunOfMatches) {
  std::string text = "Szpital na początku. ";
  for (int i = 0; i < 30; ++i) text += "Nic ciekawego tutaj. ";
  text += "Lublin, szpital i Kazachstan razem. ";
  for (int i = 0; i < 30; ++i) text += "Nic ciekawego tutaj. ";
  const std::string snippet = Snippet(text, {"szpital", "lublin", "kazachstan"}, 80);
  EXPECT_THAT(snippet, HasSubstr("<mark>Lublin</mark>, <mark>szpital</mark> i <mark>Kazachstan</mark>"));
  EXPECT_THAT(snippet, Not(HasSubstr("początku")));
}

TEST(SnippetTest, NeverCutsInsideAMultiByteCharacter) {
  // Every word is full of two-byte letters; try every width.
  const std::string text = "żółć źdźbło gęś łąka śćńą ŻÓŁĆ ĄĘ ółż źż ćma łoś żuk";
  for (size_t width = 1; width <= Chars(text) + 2; ++width) {
    for (const std::set<std::string>& matched :
         {std::set<std::string>{}, std::set<std::string>{"laka"}, std::set<std::string>{"zuk"}}) {
      const std::string snippet = Snippet(text, matched, width);
      EXPECT_TRUE(ValidUtf8(snippet)) << width;
      EXPECT_LE(Chars(Visible(snippet)), width) << snippet;
      EXPECT_FALSE(snippet.empty()) << width;
    }
  }
  // Long enough for a word: whole words only.
  EXPECT_EQ(Snippet(text, {}, 12), "żółć źdźbło…");
  EXPECT_EQ(Snippet(text, {"laka"}, 10), "…gęś <mark>łąka</mark>…");
}

TEST(SnippetTest, CutsAWordLongerThanTheSnippetAtACharacter) {
  EXPECT_EQ(Snippet("Zażółćgęśląjaźń i dalej", {}, 5), "Zażół…");
  EXPECT_EQ(Snippet("Na początku Zażółćgęśląjaźń", {"zazolcgeslajazn"}, 5), "…<mark>Zażół</mark>…");
}

TEST(SnippetTest, EscapesHtmlSoMarkIsTheOnlyMarkup) {
  EXPECT_EQ(Snippet("Szpital <script>alert('x')</script> & \"Lublin\"", {"lublin"}),
            "Szpital &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;<mark>Lublin</mark>&quot;");
}

TEST(SnippetTest, ReplacesInvalidUtf8) {
  const std::string snippet = Snippet("Szpital \xFF w \xC5Lublinie", {"szpital"});
  EXPECT_TRUE(ValidUtf8(snippet)) << snippet;
  EXPECT_THAT(snippet, StartsWith("<mark>Szpital</mark> \xEF\xBF\xBD w"));
}

TEST(TokenizeBoundsTest, FindsTheSameTokensAsTokenize) {
  for (const std::string& text :
       {std::string("Delegacja odwiedziła Tałdykorgan 12.03.2018 r. (COVID-19), koszt 3,5 mln zł."),
        std::string("Алматы и Тałdykorgan; 東京 — emoji 🙂 soft\u00ADhyphen co\u00ADoperation"),
        std::string("\u00AD \u200B\u200B słowo \u2060 ąę ÓŁ ż"), std::string("   "), std::string(""),
        LongText()}) {
    const auto tokens = Tokenize(text);
    const auto bounds = TokenizeBounds(text);
    ASSERT_EQ(bounds.size(), tokens.size()) << text;
    for (size_t i = 0; i < tokens.size(); ++i) {
      EXPECT_EQ(bounds[i].begin, tokens[i].begin) << text << " token " << i;
      EXPECT_EQ(bounds[i].end, tokens[i].end) << text << " token " << i;
    }
  }
}

// Text of everyday Latin-script characters is word-broken without ICU. A
// soft hyphen after a space adds no word but leaves a text to ICU: both ways
// must find the same words, joiners and all.
std::vector<std::pair<size_t, size_t>> BoundsOf(absl::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const TokenBounds& b : TokenizeBounds(text)) out.emplace_back(b.begin, b.end);
  return out;
}

TEST(TokenizeBoundsTest, SimpleTextBreaksAsICUDoes) {
  const std::vector<std::string> pieces = {
      "a", "Z", "ż", "Ł", "é", "ÿ", "ſ", "0", "7", ".", ",", ";", ":", "'", "\u2018", "\u2019", "\u00B7",
      " ", "\n", "\r", "\t", "-", "!", "?", "(", ")", "\"", "/", "%", "&", "\u00A0", "\u00A7", "\u00AB", "\u00BB",
      "\u00B0", "\u00D7", "\u00F7", "\u2013", "\u2014", "\u201C", "\u201D", "\u201E", "\u2026", "\u20AC", "@",
      "+", "=", "#", "*", "<", ">", "[", "]", "|", "~", "^", "`", "\\", "$", "{", "}", "\x01", "\x7F"};
  RandomBelow next(7);
  for (int c = 0; c < 20000; ++c) {
    std::string text;
    for (uint64_t n = 1 + next(12); n > 0; --n) text += pieces[next(pieces.size())];
    ASSERT_EQ(BoundsOf(text), BoundsOf(text + " \u00AD")) << "\"" << text << "\"";
  }
  for (const std::string& text : {std::string("Delegacja odwiedziła Tałdykorgan 12.03.2018 r. (COVID-19), koszt 3,5 mln zł."),
                                  std::string("l'Oréal, o’clock, 1'000, a:b, a·b, a.1, 1.a, a..b, 3,5; 3;5 x,y")}) {
    EXPECT_EQ(BoundsOf(text), BoundsOf(text + " \u00AD")) << text;
  }
  // The joiners, spelled out.
  EXPECT_THAT(BoundsOf("3,5 a,b 1.5 a.b a:b a'b 1:2"),
              ElementsAre(std::pair<size_t, size_t>{0, 3}, std::pair<size_t, size_t>{4, 5},
                          std::pair<size_t, size_t>{6, 7}, std::pair<size_t, size_t>{8, 11},
                          std::pair<size_t, size_t>{12, 15}, std::pair<size_t, size_t>{16, 17}, std::pair<size_t, size_t>{18, 19},
                          std::pair<size_t, size_t>{20, 23}, std::pair<size_t, size_t>{24, 25},
                          std::pair<size_t, size_t>{26, 27}));
}

// What a search shows: the positions of the matched terms from the index
// give the same snippet as matching the terms against the text again.
TEST(SnippetTest, PositionsFromTheIndexGiveTheSameSnippetAsTerms) {
  const std::vector<std::pair<std::string, std::set<std::string>>> cases = {
      {LongText(), {"kazachstan", "zdrowie"}},
      {LongText(), {"laka"}},
      {LongText(), {}},
      {"Szpital w Lublinie i szpitalem w Ałmaty; szpitale (COVID-19) — 3,5 mln.", {"szpital", "19", "almaty"}},
      {"Szpital <script>alert('x')</script> & \"Lublin\"", {"lublin"}},
      {"", {"szpital"}},
  };
  for (const auto& [text, matched] : cases) {
    std::vector<uint32_t> positions;
    for (const IndexTerm& t : AnalyzeForIndex(text).terms) {
      if (matched.count(t.term) > 0) positions.insert(positions.end(), t.positions.begin(), t.positions.end());
    }
    std::sort(positions.begin(), positions.end());
    for (size_t width : {40u, 120u, 200u}) {
      EXPECT_EQ(SnippetAt(text, positions, width), Snippet(text, matched, width)) << text << " @" << width;
    }
  }
  EXPECT_EQ(SnippetAt("Szpital w Lublinie", {2, 99}), "Szpital w <mark>Lublinie</mark>") << "past the end: ignored";
}

// SnippetAt breaks words only up to a snippet's reach past the last match:
// random texts (multi-byte letters, emoji, punctuation, long runs without
// a match) and random matched terms give the same snippet as Snippet,
// which breaks the whole text.
TEST(SnippetTest, PositionsGiveTheSameSnippetOnRandomTexts) {
  const std::vector<std::string> words = {"szpital", "Łódź", "zażółć", "gęślą", "jaźń", "🙂🙂", "COVID-19", "3,5",
                                          "mln", "—", "(Ałmaty)", "Kazachstanie,", "o", "w", "żółtej", "trawy.",
                                          "­", "東京", "12.03.2018", "r."};
  RandomBelow next(99);
  for (int c = 0; c < 300; ++c) {
    std::string text;
    const uint64_t n = next(4) == 0 ? next(12) : 50 + next(600);
    for (uint64_t i = 0; i < n; ++i) absl::StrAppend(&text, i == 0 ? "" : (next(9) == 0 ? "\n" : " "), words[next(words.size())]);
    const auto terms = AnalyzeForIndex(text).terms;
    std::set<std::string> matched;
    for (uint64_t k = next(3); k > 0 && !terms.empty(); --k) matched.insert(terms[next(terms.size())].term);
    std::vector<uint32_t> positions;
    for (const IndexTerm& t : terms) {
      if (matched.count(t.term) > 0) positions.insert(positions.end(), t.positions.begin(), t.positions.end());
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    const size_t width = std::vector<size_t>{5, 40, 120, 200}[next(4)];
    ASSERT_EQ(SnippetAt(text, positions, width), Snippet(text, matched, width)) << text << " @" << width;
  }
}

}  // namespace
}  // namespace newsdesk::text
