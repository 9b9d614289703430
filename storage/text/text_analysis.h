// Text analysis for full-text search over (mostly Polish) articles: folding,
// tokenisation, dictionary stemming, index terms, the search query language,
// BM25 scoring and snippets. Pure functions of their input and the read-only
// dictionary: no storage, no gRPC. The inverted index and SearchArticles are
// built on top of this.
//
// Matching model, shared by the indexer and the query side so they agree:
//   - every token has *variants*: its folded surface form plus the folded
//     stems of its surface form (hunspell pl_PL), e.g. "Kazachstanie" →
//     {"kazachstanie", "kazachstan"};
//   - a query word matches a token when their variant sets intersect, so
//     "Kazachstan" finds "Kazachstanie" and the other way round;
//   - a prefix clause ("almat*") matches tokens whose folded surface form
//     starts with the folded prefix;
//   - a phrase matches its words, each by variants, at consecutive positions
//     (Polish inflects inside phrases: "ochrona zdrowia" finds "ochrony
//     zdrowia").
//
// Every function and class here is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsdesk::text {

// Query limits. Index terms longer than kMaxTermChars are not emitted either:
// no query could name them.
inline constexpr size_t kMaxQueryChars = 1000;
inline constexpr size_t kMaxQueryTerms = 32;  // words, counting each word of a phrase
inline constexpr size_t kMaxTermChars = 64;   // Unicode code points, as typed
// A one-letter prefix would scan a large part of the index for little value.
inline constexpr size_t kMinPrefixChars = 2;

// ---------------------------------------------------------------------------
// Folding and tokenisation

// Case folding (Unicode NFKC_Casefold, which also drops soft hyphens and
// other default-ignorables) plus diacritic folding: combining marks
// U+0300–U+036F are removed after NFD and ICU "Latin-ASCII" handles letters
// that do not decompose (ł, đ, ø, ß …). "TAŁDYKORGAN" and "Tałdykorgan" both
// give "taldykorgan". Non-Latin scripts stay, lowercased ("Алматы" →
// "алматы"); marks of other scripts (Devanagari vowel signs …) are kept
// because removing them changes the word. Invalid UTF-8 becomes U+FFFD.
std::string Fold(absl::string_view text);

struct Token {
  size_t begin = 0;     // byte offset of the token in the input
  size_t end = 0;       // one past its last byte
  std::string surface;  // input[begin, end)
  std::string folded;   // Fold(surface), never empty
};

// Words and numbers in `utf8`, in order, by ICU's word break rules (locale
// "pl"): whitespace, punctuation and symbols are skipped; "3,5" and
// "12.03.2018" are single number tokens; hyphenated words are split
// ("COVID-19" → "COVID", "19"). The index of a token in the result is its
// position.
std::vector<Token> Tokenize(absl::string_view utf8);

struct TokenBounds {
  size_t begin = 0;  // byte offsets, as in Token
  size_t end = 0;
};

// The bounds of Tokenize(utf8)'s tokens without their surface and folded
// forms (cheaper: no folding for words with an ASCII letter or digit).
std::vector<TokenBounds> TokenizeBounds(absl::string_view utf8);

// ---------------------------------------------------------------------------
// Stemming

// Dictionary stemming with hunspell. Owns one hunspell instance and a
// bounded cache of results (two generations of `cache_words` words each: a
// word used since the last generation switch survives it). Thread-safe: one
// mutex guards hunspell and the cache; a cache hit costs a hash lookup.
//
// Without a dictionary (files missing or unreadable) it still works: every
// word stems to its folded self, and has_dictionary() says so.
class Stemmer {
 public:
  static constexpr size_t kCacheWords = 1 << 16;

  // The Polish dictionary of Debian's hunspell-pl:
  // /usr/share/hunspell/pl_PL.{aff,dic}. Loaded on first use (~0.1 s),
  // never destroyed.
  static const Stemmer& Polish();

  // Opens a hunspell dictionary; missing files give a stemmer without one.
  Stemmer(absl::string_view aff_path, absl::string_view dic_path, size_t cache_words = kCacheWords);
  ~Stemmer();
  Stemmer(const Stemmer&) = delete;
  Stemmer& operator=(const Stemmer&) = delete;

  bool has_dictionary() const;

  // The folded dictionary stems of `word` (one token's surface form, any
  // case), sorted and unique: "Kazachstanie" → {"kazachstan"}, "szpitalem"
  // → {"szpital", "szpitalem"}. A lowercase word that is unknown is retried
  // capitalised, so "kazachstanie" typed in a query also gives
  // "kazachstan". Unknown words (and every word without a dictionary) give
  // {Fold(word)}; an empty word gives {}.
  std::vector<std::string> Stems(absl::string_view word) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fold(word) together with the folded stems of `word`, sorted and unique:
// what a query word or a token matches on.
std::vector<std::string> Variants(absl::string_view word, const Stemmer& stemmer = Stemmer::Polish());

// ---------------------------------------------------------------------------
// Indexing

struct IndexTerm {
  std::string term;  // a folded surface form or a folded stem
  // Token positions (ascending) where `term` is one of the token's variants.
  std::vector<uint32_t> positions;
  // The subset of `positions` where `term` is the token's folded surface form
  // itself: for prefix clauses, and for ranking exact forms higher if wanted.
  std::vector<uint32_t> surface_positions;
};

struct AnalyzedText {
  std::vector<IndexTerm> terms;  // sorted by term (bytewise), terms unique
  uint32_t length = 0;           // tokens in the text: the BM25 document length
};

// The index terms of one field's text. Positions count from 0 for each call:
// index title, lead, body and tags as separate fields (tags: one call per
// tag, or the tags joined with a separator and indexed as one field). Tokens
// longer than kMaxTermChars take a position but yield no terms.
AnalyzedText AnalyzeForIndex(absl::string_view text, const Stemmer& stemmer = Stemmer::Polish());

// ---------------------------------------------------------------------------
// Queries
//
//   query   := clause { whitespace clause }
//   clause  := [ "-" ] ( phrase | word [ "*" ] )
//   phrase  := quote { any character but a closing quote } quote
//
// Quotes are " or the typographic „ “ ” that Polish keyboards produce
// („ only opens). A bare word that tokenises into several tokens is a phrase
// ("COVID-19" ≡ "COVID 19"). Clauses without any word ("—", a lone "-") are
// ignored. Plain clauses are ANDed; "-" clauses exclude.

struct QueryWord {
  std::string folded;  // the folded surface form (for kPrefix: the folded prefix)
  // What matches: Variants() of the word (for kPrefix: just the prefix).
  std::vector<std::string> variants;
};

struct QueryClause {
  enum class Kind { kWord, kPrefix, kPhrase };
  Kind kind = Kind::kWord;
  std::vector<QueryWord> words;  // kWord, kPrefix: one; kPhrase: two or more, in order
  size_t position = 0;           // 0-based code-point position of the clause in the query
};

struct Query {
  std::vector<QueryClause> required;  // never empty
  std::vector<QueryClause> excluded;
};

// Parses a search query. INVALID_ARGUMENT, with a message starting "query:"
// and naming the 0-based character (code point) position, for: an empty
// query or one without words, an unbalanced quote, a query of exclusions
// only, more than kMaxQueryTerms words, a word longer than kMaxTermChars,
// "*" not at the end of a word, a prefix shorter than kMinPrefixChars or of
// several words, a query longer than kMaxQueryChars.
absl::StatusOr<Query> ParseQuery(absl::string_view query, const Stemmer& stemmer = Stemmer::Polish());

// A normalised rendering ("kazachstan almat* \"ochrona zdrowia\" -lublin"):
// queries that mean the same render the same (to bind page tokens to a query).
std::string Canonical(const Query& query);

// ---------------------------------------------------------------------------
// Ranking

inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
// Per-field weights: a word in the title says more about the article than
// the same word in the body.
inline constexpr double kTitleWeight = 3.0;
inline constexpr double kTagsWeight = 2.0;
inline constexpr double kLeadWeight = 1.5;
inline constexpr double kBodyWeight = 1.0;

// The BM25 score of one query clause in one field of one document:
//   weight · idf · tf·(k1+1) / (tf + k1·(1 − b + b·doc_length/avg_doc_length))
//   idf = ln(1 + (doc_count − df + 0.5) / (df + 0.5))
// (the Lucene idf, which stays positive for words in most documents). A
// document's score is the sum over clauses and fields. 0 when tf or df is 0;
// df is capped at doc_count; a non-positive avg_doc_length means no length
// normalisation.
double Bm25(uint32_t tf, uint64_t df, uint64_t doc_count, uint32_t doc_length, double avg_doc_length,
            double field_weight = kBodyWeight);

// Bm25 in two steps, for scoring many documents of one clause: the idf once
// (0 when df or doc_count is 0), then each document's field.
double Bm25Idf(uint64_t df, uint64_t doc_count);
inline double Bm25WithIdf(double idf, uint32_t tf, uint32_t doc_length, double avg_doc_length,
                          double field_weight = kBodyWeight) {
  if (tf == 0) return 0.0;
  const double length_ratio = avg_doc_length > 0 ? static_cast<double>(doc_length) / avg_doc_length : 1.0;
  const double norm = kBm25K1 * (1.0 - kBm25B + kBm25B * length_ratio);
  const double t = static_cast<double>(tf);
  return field_weight * idf * t * (kBm25K1 + 1.0) / (t + norm);
}

// ---------------------------------------------------------------------------
// Snippets

inline constexpr size_t kDefaultSnippetChars = 200;

// A window of at most `max_chars` code points of `text` (markup and ellipses
// not counted) around the densest run of matched words, cut between words
// (punctuation attached to a word stays with it), with "…" where text was cut
// off and each matched word wrapped in <mark></mark>. A word matches when its
// folded form or one of its folded stems is in `matched` (pass the folded
// query words and their stems, and the terms a prefix expanded to). Without a
// match: the start of the text. Whitespace runs become one space, and the
// text is HTML-escaped (& < > " ') so <mark> is the only markup. A single
// word longer than `max_chars` is cut at a character boundary.
std::string Snippet(absl::string_view text, const std::set<std::string>& matched,
                    size_t max_chars = kDefaultSnippetChars, const Stemmer& stemmer = Stemmer::Polish());

// The same snippet with the matched words given by their token positions
// (Tokenize order, as AnalyzeForIndex numbers them) instead of by terms:
// what a search that read the positions from its postings shows, without
// folding or stemming the text again. Positions past the end are ignored.
std::string SnippetAt(absl::string_view text, const std::vector<uint32_t>& positions,
                      size_t max_chars = kDefaultSnippetChars);

}  // namespace newsdesk::text
