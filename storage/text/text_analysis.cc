#include "storage/text/text_analysis.h"

#include <hunspell/hunspell.hxx>
#include <unicode/brkiter.h>
#include <unicode/localpointer.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <mutex>

namespace newsdesk::text {
namespace {

constexpr char kPolishAff[] = "/usr/share/hunspell/pl_PL.aff";
constexpr char kPolishDic[] = "/usr/share/hunspell/pl_PL.dic";
// Hunspell ignores longer words (MAXWORDLEN); skipping them saves the
// conversion and a cache slot.
constexpr size_t kMaxHunspellBytes = 100;
constexpr char kEllipsis[] = "…";

size_t CharPosition(absl::string_view text, size_t byte_offset) {
  size_t n = 0;
  for (size_t i = 0; i < byte_offset && i < text.size(); ++i) n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return n;
}

size_t CharCount(absl::string_view text) { return CharPosition(text, text.size()); }

// The code point at byte `i` (negative for an invalid sequence); `*next` is
// the byte after it. Never steps past the end or stops inside a sequence.
UChar32 CodePointAt(absl::string_view s, size_t i, size_t* next) {
  int32_t j = static_cast<int32_t>(i);
  UChar32 c;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), j, static_cast<int32_t>(s.size()), c);
  *next = static_cast<size_t>(j);
  return c;
}

// The code point ending just before byte `i`; `*prev` is where it starts.
UChar32 CodePointBefore(absl::string_view s, size_t i, size_t* prev) {
  int32_t j = static_cast<int32_t>(i);
  UChar32 c;
  U8_PREV(reinterpret_cast<const uint8_t*>(s.data()), 0, j, c);
  *prev = static_cast<size_t>(j);
  return c;
}

bool IsSpace(UChar32 c) {
  if (c >= 0 && c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');  // ASCII's White_Space
  return c >= 0 && u_isUWhiteSpace(c);
}

icu::UnicodeString ToUnicode(absl::string_view utf8) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
}

std::string ToUtf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// ICU transliterators and break iterators are not safe for concurrent use and
// are costly to create: one of each per thread.
icu::Transliterator* ThreadDiacriticFolder() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    // Only the Combining Diacritical Marks block: marks of other scripts
    // (Devanagari vowel signs …) are part of the letter. Latin-ASCII then
    // takes the letters that have no decomposition (ł, đ, ø …).
    std::unique_ptr<icu::Transliterator> tr(icu::Transliterator::createInstance(
        "NFD; [\\u0300-\\u036F] Remove; NFC; Latin-ASCII", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) tr.reset();
    return tr;
  }();
  return t.get();
}

icu::BreakIterator* ThreadWordBreaker() {
  thread_local std::unique_ptr<icu::BreakIterator> b = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createWordInstance(icu::Locale("pl"), status));
    if (U_FAILURE(status)) it.reset();
    return it;
  }();
  return b.get();
}

// The ASCII letter a Polish letter folds to, or 0.
char FoldPolishLetter(UChar32 c) {
  switch (c) {
    case 0x0104: case 0x0105: return 'a';  // Ą ą
    case 0x0106: case 0x0107: return 'c';  // Ć ć
    case 0x0118: case 0x0119: return 'e';  // Ę ę
    case 0x0141: case 0x0142: return 'l';  // Ł ł
    case 0x0143: case 0x0144: return 'n';  // Ń ń
    case 0x00D3: case 0x00F3: return 'o';  // Ó ó
    case 0x015A: case 0x015B: return 's';  // Ś ś
    case 0x0179: case 0x017A: return 'z';  // Ź ź
    case 0x017B: case 0x017C: return 'z';  // Ż ż
    default: return 0;
  }
}

// Folds text made of ASCII and Polish letters only, which is nearly every
// token we see, without ICU (≈3 µs a token, most of the cost of Tokenize).
// False for anything else; it must agree with the ICU path (tested).
bool FoldAsciiOrPolish(absl::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      out->push_back(absl::ascii_tolower(byte));
      ++i;
      continue;
    }
    size_t next;
    const char folded = FoldPolishLetter(CodePointAt(text, i, &next));
    if (folded == 0) return false;
    out->push_back(folded);
    i = next;
  }
  return true;
}

bool Readable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return f.good();
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// Folding and tokenisation

std::string Fold(absl::string_view text) {
  if (std::string fast; FoldAsciiOrPolish(text, &fast)) return fast;
  icu::UnicodeString s = ToUnicode(text);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString folded = casefold->normalize(s, status);
    if (U_SUCCESS(status)) s = std::move(folded);
  }
  if (icu::Transliterator* t = ThreadDiacriticFolder(); t != nullptr) t->transliterate(s);
  return ToUtf8(s);
}

namespace {

// Word breaking without ICU for text that only holds the characters of
// everyday Latin-script news: ASCII, Latin-1 and Latin Extended-A letters
// (all of Polish), digits, spaces and common punctuation. For those, ICU's
// rules (Unicode's word boundaries, UAX #29, where ICU drops the colon from
// the joiners) reduce to: letters and digits join; a letter-joiner (· . ' ‘ ’)
// between two letters and a number-joiner (, ; . ' ‘ ’) between two digits
// join too; everything else is no word.
// ICU takes ~10× longer on this text, and a search word-breaks each result's
// body for its snippet. Any other character (marks, format characters such
// as the soft hyphen, other scripts, invalid UTF-8 …) leaves the text to
// ICU. Both must agree (tested, and fuzzed against ICU).
enum class WordClass : uint8_t { kUnknown, kOther, kLetter, kDigit, kMidLetter, kMidNumLet, kMidNum };

constexpr std::array<WordClass, 0x180> kWordClasses = [] {
  std::array<WordClass, 0x180> c{};  // kUnknown
  for (int i = 0; i < 0x80; ++i) c[i] = WordClass::kOther;  // ASCII spaces, controls and symbols
  for (int i = 'a'; i <= 'z'; ++i) c[i] = WordClass::kLetter;
  for (int i = 'A'; i <= 'Z'; ++i) c[i] = WordClass::kLetter;
  for (int i = '0'; i <= '9'; ++i) c[i] = WordClass::kDigit;
  // ICU's own: _ joins words (ExtendNumLet), @ is a letter in ICU's rules.
  c['_'] = WordClass::kUnknown;
  c['@'] = WordClass::kUnknown;
  c[':'] = WordClass::kOther;  // no joiner in ICU's rules
  c['.'] = WordClass::kMidNumLet;
  c['\''] = WordClass::kMidNumLet;
  c[','] = WordClass::kMidNum;
  c[';'] = WordClass::kMidNum;
  for (int i : {0xA0, 0xA7, 0xAB, 0xB0, 0xBB, 0xD7, 0xF7}) c[i] = WordClass::kOther;  // nbsp § « ° » × ÷
  c[0xB7] = WordClass::kMidLetter;                                                  // ·
  for (int i = 0xC0; i < 0x180; ++i) {
    if (i != 0xD7 && i != 0xF7) c[i] = WordClass::kLetter;
  }
  return c;
}();

WordClass ClassOf(UChar32 c) {
  if (c >= 0 && c < static_cast<UChar32>(kWordClasses.size())) return kWordClasses[c];
  switch (c) {
    case 0x2018: case 0x2019: return WordClass::kMidNumLet;  // ‘ ’
    case 0x2013: case 0x2014:                                // – —
    case 0x201C: case 0x201D: case 0x201E:                   // “ ” „
    case 0x2026: case 0x20AC:                                // … €
      return WordClass::kOther;
    default: return WordClass::kUnknown;
  }
}

// The class of the code point at byte `i`; `*next` is the byte after it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline WordClass ClassAt(absl::string_view utf8, size_t i, size_t* next) {
  const auto byte = static_cast<uint8_t>(utf8[i]);
  if (byte < 0x80) {
    *next = i + 1;
    return kWordClasses[byte];
  }
  return ClassOf(CodePointAt(utf8, i, next));
}

// True when no code point of `utf8` is kUnknown.
bool IsSimpleText(absl::string_view utf8) {
  for (size_t i = 0, next; i < utf8.size(); i = next) {
    if (ClassAt(utf8, i, &next) == WordClass::kUnknown) return false;
  }
  return true;
}

bool IsWordClass(WordClass c) { return c == WordClass::kLetter || c == WordClass::kDigit; }

// ForEachWord for text IsSimpleText accepts.
template <typename F>
void ForEachSimpleWord(absl::string_view utf8, F on_word) {
  for (size_t i = 0, next; i < utf8.size();) {
    WordClass last = ClassAt(utf8, i, &next);
    if (!IsWordClass(last)) {
      i = next;
      continue;
    }
    size_t end = next;  // the word is [i, end)
    while (end < utf8.size()) {
      size_t after;
      const WordClass c = ClassAt(utf8, end, &after);
      if (IsWordClass(c)) {
        last = c;
        end = after;
        continue;
      }
      // A joiner between two letters or two digits.
      const bool joins = last == WordClass::kLetter ? c == WordClass::kMidLetter || c == WordClass::kMidNumLet
                                                    : c == WordClass::kMidNum || c == WordClass::kMidNumLet;
      size_t after_next;
      if (joins && after < utf8.size() && ClassAt(utf8, after, &after_next) == last) {
        end = after_next;
        continue;
      }
      break;
    }
    if (!on_word(i, end)) return;
    i = end;
  }
}

// Calls on_word(begin, end) for each word or number of `utf8` (byte
// offsets), by ICU's word break rules, until it returns false.
template <typename F>
void ForEachWord(absl::string_view utf8, F on_word) {
  if (IsSimpleText(utf8)) {
    ForEachSimpleWord(utf8, on_word);
    return;
  }
  icu::BreakIterator* words = ThreadWordBreaker();
  // ICU indexes are int32_t; article fields are far below that.
  if (words == nullptr || utf8.empty() || utf8.size() > static_cast<size_t>(INT32_MAX)) return;
  UErrorCode status = U_ZERO_ERROR;
  // A UTF-8 UText makes the break positions byte offsets into `utf8`.
  icu::LocalUTextPointer ut(utext_openUTF8(nullptr, utf8.data(), static_cast<int64_t>(utf8.size()), &status));
  words->setText(ut.getAlias(), status);
  if (U_SUCCESS(status)) {
    int32_t start = words->first();
    for (int32_t end = words->next(); end != icu::BreakIterator::DONE; start = end, end = words->next()) {
      // Rule statuses below UBRK_WORD_NONE_LIMIT are spaces, punctuation and
      // symbols; numbers, letters, kana and ideographs are above.
      if (words->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;
      if (!on_word(static_cast<size_t>(start), static_cast<size_t>(end))) break;
    }
  }
  // The iterator outlives `ut` (thread_local): leave it on text we own.
  static const icu::UnicodeString* const kNoText = new icu::UnicodeString();
  words->setText(*kNoText);
}

}  // namespace

std::vector<Token> Tokenize(absl::string_view utf8) {
  std::vector<Token> tokens;
  ForEachWord(utf8, [&](size_t begin, size_t end) {
    Token token;
    token.begin = begin;
    token.end = end;
    token.surface = std::string(utf8.substr(begin, end - begin));
    token.folded = Fold(token.surface);
    if (token.folded.empty()) return true;  // only ignorable characters
    tokens.push_back(std::move(token));
    return true;
  });
  return tokens;
}

namespace {

// TokenizeBounds' tokens; with `through`, only up to token *through and
// then until the first one that begins more than `bytes_after` bytes after
// that token's end (that one included).
std::vector<TokenBounds> TokenizeBoundsThrough(absl::string_view utf8, std::optional<size_t> through,
                                               size_t bytes_after) {
  std::vector<TokenBounds> tokens;
  size_t limit = SIZE_MAX;
  ForEachWord(utf8, [&](size_t begin, size_t end) {
    const absl::string_view surface = utf8.substr(begin, end - begin);
    // Folding keeps ASCII letters and digits, so only a word without any can
    // fold to nothing (and is skipped by Tokenize).
    if (std::none_of(surface.begin(), surface.end(), [](char c) { return absl::ascii_isalnum(c); }) &&
        Fold(surface).empty()) {
      return true;
    }
    tokens.push_back({begin, end});
    if (through.has_value() && tokens.size() == *through + 1) limit = end + bytes_after;
    return begin <= limit;
  });
  return tokens;
}

}  // namespace

std::vector<TokenBounds> TokenizeBounds(absl::string_view utf8) {
  return TokenizeBoundsThrough(utf8, std::nullopt, 0);
}

// ---------------------------------------------------------------------------
// Stemming

struct Stemmer::Impl {
  std::unique_ptr<Hunspell> hunspell;  // set once in the constructor
  size_t cache_words = kCacheWords;    // likewise
  std::mutex mu;  // std::mutex: visible to ThreadSanitizer, unlike Debian's uninstrumented Abseil
  // Between Unicode and the dictionary's encoding; nullptr for a UTF-8
  // dictionary.
  UConverter* converter ABSL_GUARDED_BY(mu) = nullptr;
  // Two cache generations: when `current` is full it becomes `previous`, and
  // a hit in `previous` moves the entry back to `current`.
  absl::flat_hash_map<std::string, std::vector<std::string>> current ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, std::vector<std::string>> previous ABSL_GUARDED_BY(mu);

  ~Impl() {
    if (converter != nullptr) ucnv_close(converter);
  }

  void Insert(std::string word, std::vector<std::string> stems) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (current.size() >= cache_words) {
      previous = std::move(current);
      current.clear();
    }
    current.emplace(std::move(word), std::move(stems));
  }

  std::optional<std::vector<std::string>> Lookup(absl::string_view word) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (auto it = current.find(word); it != current.end()) return it->second;
    auto it = previous.find(word);
    if (it == previous.end()) return std::nullopt;
    std::vector<std::string> stems = it->second;
    std::string key = it->first;
    previous.erase(it);
    Insert(std::move(key), stems);
    return stems;
  }

  // Hunspell's stems of `word` in UTF-8, unfolded; {} when unknown or not
  // representable in the dictionary's encoding (Cyrillic in pl_PL …).
  std::vector<std::string> HunspellStems(const icu::UnicodeString& word) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string encoded;
    if (converter == nullptr) {
      encoded = ToUtf8(word);
    } else {
      UErrorCode status = U_ZERO_ERROR;
      encoded.resize(static_cast<size_t>(UCNV_GET_MAX_BYTES_FOR_STRING(word.length(), ucnv_getMaxCharSize(converter))));
      const int32_t n = ucnv_fromUChars(converter, encoded.data(), static_cast<int32_t>(encoded.size()),
                                        word.getBuffer(), word.length(), &status);
      if (U_FAILURE(status)) return {};
      encoded.resize(static_cast<size_t>(n));
    }
    std::vector<std::string> out;
    for (const std::string& stem : hunspell->stem(encoded)) {
      if (converter == nullptr) {
        out.push_back(stem);
        continue;
      }
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString u;
      UChar* buffer = u.getBuffer(static_cast<int32_t>(stem.size()) * 2 + 2);
      const int32_t n = ucnv_toUChars(converter, buffer, u.getCapacity(), stem.data(),
                                      static_cast<int32_t>(stem.size()), &status);
      u.releaseBuffer(U_SUCCESS(status) ? n : 0);
      if (U_SUCCESS(status) && !u.isEmpty()) out.push_back(ToUtf8(u));
    }
    return out;
  }
};

const Stemmer& Stemmer::Polish() {
  static const Stemmer* const stemmer = new Stemmer(kPolishAff, kPolishDic);
  return *stemmer;
}

Stemmer::Stemmer(absl::string_view aff_path, absl::string_view dic_path, size_t cache_words)
    : impl_(std::make_unique<Impl>()) {
  impl_->cache_words = std::max<size_t>(cache_words, 1);
  const std::string aff(aff_path);
  const std::string dic(dic_path);
  // Hunspell reports missing files on stderr and then knows no words;
  // checking first keeps a missing dictionary silent.
  if (!Readable(aff) || !Readable(dic)) return;
  auto hunspell = std::make_unique<Hunspell>(aff.c_str(), dic.c_str());
  const std::string encoding = hunspell->get_dict_encoding();
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (encoding != "UTF-8") {
    UErrorCode status = U_ZERO_ERROR;
    UConverter* converter = ucnv_open(encoding.c_str(), &status);
    if (U_FAILURE(status)) return;  // an encoding ICU does not know: no dictionary
    // Fail on characters the encoding lacks, rather than asking hunspell
    // about a word with '?' in it.
    ucnv_setFromUCallBack(converter, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    ucnv_setToUCallBack(converter, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    if (U_FAILURE(status)) {
      ucnv_close(converter);
      return;
    }
    impl_->converter = converter;
  }
  impl_->hunspell = std::move(hunspell);
}

Stemmer::~Stemmer() = default;

bool Stemmer::has_dictionary() const { return impl_->hunspell != nullptr; }

std::vector<std::string> Stemmer::Stems(absl::string_view word) const {
  if (word.empty()) return {};
  auto fallback = [&] {
    std::string folded = Fold(word);
    return folded.empty() ? std::vector<std::string>{} : std::vector<std::string>{std::move(folded)};
  };
  if (!has_dictionary() || word.size() > kMaxHunspellBytes) return fallback();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (auto hit = impl_->Lookup(word); hit.has_value()) return *std::move(hit);
  }

  const icu::UnicodeString unicode = ToUnicode(word);
  std::vector<std::string> raw;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    raw = impl_->HunspellStems(unicode);
    // Hunspell matches capitalised dictionary entries (proper nouns) only
    // when the word is capitalised too; a query typed in lowercase
    // ("kazachstanie") should still find them.
    const UChar32 first = unicode.char32At(0);
    if (raw.empty() && u_islower(first)) {
      icu::UnicodeString capitalised = unicode;
      capitalised.replace(0, U16_LENGTH(first), u_totitle(first));
      raw = impl_->HunspellStems(capitalised);
    }
  }
  std::vector<std::string> stems;
  for (const std::string& s : raw) {
    if (std::string folded = Fold(s); !folded.empty()) stems.push_back(std::move(folded));
  }
  SortUnique(stems);
  if (stems.empty()) stems = fallback();

  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->Insert(std::string(word), stems);
  return stems;
}

std::vector<std::string> Variants(absl::string_view word, const Stemmer& stemmer) {
  std::vector<std::string> variants = stemmer.Stems(word);
  if (std::string folded = Fold(word); !folded.empty()) variants.push_back(std::move(folded));
  SortUnique(variants);
  return variants;
}

// ---------------------------------------------------------------------------
// Indexing

AnalyzedText AnalyzeForIndex(absl::string_view text, const Stemmer& stemmer) {
  const std::vector<Token> tokens = Tokenize(text);
  std::map<std::string, IndexTerm, std::less<>> terms;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    if (CharCount(token.surface) > kMaxTermChars) continue;
    const auto position = static_cast<uint32_t>(i);
    IndexTerm& surface = terms[token.folded];
    surface.positions.push_back(position);
    surface.surface_positions.push_back(position);
    for (std::string& stem : stemmer.Stems(token.surface)) {
      if (stem == token.folded || CharCount(stem) > kMaxTermChars) continue;
      terms[stem].positions.push_back(position);
    }
  }
  AnalyzedText out;
  out.length = static_cast<uint32_t>(tokens.size());
  out.terms.reserve(terms.size());
  for (auto& [term, index_term] : terms) {
    index_term.term = term;
    out.terms.push_back(std::move(index_term));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Queries

namespace {

bool IsOpeningQuote(UChar32 c) { return c == '"' || c == 0x201E || c == 0x201C || c == 0x201D; }
bool IsClosingQuote(UChar32 c) { return c == '"' || c == 0x201C || c == 0x201D; }

class QueryParser {
 public:
  QueryParser(absl::string_view query, const Stemmer& stemmer) : query_(query), stemmer_(stemmer) {}

  absl::StatusOr<Query> Parse() {
    if (CharCount(query_) > kMaxQueryChars) {
      return ErrorAtChar(kMaxQueryChars, absl::StrCat("longer than ", kMaxQueryChars, " characters"));
    }
    size_t i = 0;
    while ((i = SkipSpaces(i)) < query_.size()) {
      const size_t start = i;
      bool excluded = false;
      if (query_[i] == '-') {
        excluded = true;
        ++i;
      }
      size_t next = i;
      const UChar32 c = i < query_.size() ? CodePointAt(query_, i, &next) : -1;
      const absl::Status status = IsOpeningQuote(c) ? ParsePhrase(start, i, next, excluded, &i)
                                                    : ParseWord(start, i, excluded, &i);
      if (!status.ok()) return status;
    }
    if (result_.required.empty()) {
      if (!result_.excluded.empty()) {
        return ErrorAtChar(result_.excluded.front().position,
                           "only excluded words; add a word or phrase to search for");
      }
      return Error(0, SkipSpaces(0) == query_.size() ? "empty" : "no words to search for");
    }
    return std::move(result_);
  }

 private:
  absl::Status Error(size_t byte_offset, absl::string_view what) const {
    return ErrorAtChar(CharPosition(query_, byte_offset), what);
  }
  static absl::Status ErrorAtChar(size_t position, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("query: ", what, " at position ", position));
  }

  size_t SkipSpaces(size_t i) const {
    while (i < query_.size()) {
      size_t next;
      if (!IsSpace(CodePointAt(query_, i, &next))) break;
      i = next;
    }
    return i;
  }

  // `quote` is the opening quote's byte offset, `content` the byte after it.
  absl::Status ParsePhrase(size_t start, size_t quote, size_t content, bool excluded, size_t* end) {
    size_t i = content;
    while (i < query_.size()) {
      size_t next;
      if (IsClosingQuote(CodePointAt(query_, i, &next))) {
        *end = next;
        return AddClause(start, content, Tokenize(query_.substr(content, i - content)), excluded, false);
      }
      i = next;
    }
    return Error(quote, "unbalanced quote");
  }

  // A bare word runs to whitespace or an opening quote.
  absl::Status ParseWord(size_t start, size_t begin, bool excluded, size_t* end) {
    size_t i = begin;
    while (i < query_.size()) {
      size_t next;
      const UChar32 c = CodePointAt(query_, i, &next);
      if (IsSpace(c) || IsOpeningQuote(c)) break;
      i = next;
    }
    *end = i;
    absl::string_view word = query_.substr(begin, i - begin);
    const size_t star = word.find('*');
    const bool prefix = star != absl::string_view::npos;
    if (prefix) {
      if (star + 1 != word.size()) return Error(begin + star, "'*' is allowed only at the end of a word");
      word.remove_suffix(1);
    }
    std::vector<Token> tokens = Tokenize(word);
    if (prefix) {
      if (tokens.size() > 1) return Error(start, "a prefix must be a single word");
      if (tokens.empty() || CharCount(tokens[0].folded) < kMinPrefixChars) {
        return Error(begin + star, absl::StrCat("a prefix needs at least ", kMinPrefixChars, " letters before '*'"));
      }
    }
    return AddClause(start, begin, std::move(tokens), excluded, prefix);
  }

  // `tokens` have offsets relative to `base`. No tokens: nothing to search
  // for in this clause ("—", a lone "-"), so it is dropped.
  absl::Status AddClause(size_t start, size_t base, std::vector<Token> tokens, bool excluded, bool prefix) {
    if (tokens.empty()) return absl::OkStatus();
    QueryClause clause;
    clause.position = CharPosition(query_, start);
    for (Token& token : tokens) {
      if (CharCount(token.surface) > kMaxTermChars) {
        return Error(base + token.begin, absl::StrCat("word longer than ", kMaxTermChars, " characters"));
      }
      if (++words_ > kMaxQueryTerms) {
        return Error(base + token.begin, absl::StrCat("more than ", kMaxQueryTerms, " words"));
      }
      QueryWord word;
      word.variants = prefix ? std::vector<std::string>{token.folded} : Variants(token.surface, stemmer_);
      word.folded = std::move(token.folded);
      clause.words.push_back(std::move(word));
    }
    clause.kind = prefix                     ? QueryClause::Kind::kPrefix
                  : clause.words.size() == 1 ? QueryClause::Kind::kWord
                                             : QueryClause::Kind::kPhrase;
    (excluded ? result_.excluded : result_.required).push_back(std::move(clause));
    return absl::OkStatus();
  }

  absl::string_view query_;
  const Stemmer& stemmer_;
  Query result_;
  size_t words_ = 0;
};

std::string Render(const QueryClause& clause) {
  switch (clause.kind) {
    case QueryClause::Kind::kWord:
      return clause.words[0].folded;
    case QueryClause::Kind::kPrefix:
      return absl::StrCat(clause.words[0].folded, "*");
    case QueryClause::Kind::kPhrase:
      return absl::StrCat("\"", absl::StrJoin(clause.words, " ", [](std::string* out, const QueryWord& w) {
                            out->append(w.folded);
                          }),
                          "\"");
  }
  return "";
}

}  // namespace

absl::StatusOr<Query> ParseQuery(absl::string_view query, const Stemmer& stemmer) {
  return QueryParser(query, stemmer).Parse();
}

std::string Canonical(const Query& query) {
  // Clause order does not change what a query means (AND), so sort.
  std::vector<std::string> required, excluded;
  for (const QueryClause& c : query.required) required.push_back(Render(c));
  for (const QueryClause& c : query.excluded) excluded.push_back(absl::StrCat("-", Render(c)));
  std::sort(required.begin(), required.end());
  std::sort(excluded.begin(), excluded.end());
  required.insert(required.end(), excluded.begin(), excluded.end());
  return absl::StrJoin(required, " ");
}

// ---------------------------------------------------------------------------
// Ranking

double Bm25Idf(uint64_t df, uint64_t doc_count) {
  if (df == 0 || doc_count == 0) return 0.0;
  df = std::min(df, doc_count);
  return std::log(1.0 + (static_cast<double>(doc_count - df) + 0.5) / (static_cast<double>(df) + 0.5));
}

double Bm25(uint32_t tf, uint64_t df, uint64_t doc_count, uint32_t doc_length, double avg_doc_length,
            double field_weight) {
  return Bm25WithIdf(Bm25Idf(df, doc_count), tf, doc_length, avg_doc_length, field_weight);
}

// ---------------------------------------------------------------------------
// Snippets

namespace {

// A token with its display bounds: punctuation that touches the word and
// whitespace on the other side ("(Kazachstan)," or „zdrowia”.) is shown with
// it, so cuts fall on whitespace.
struct Span {
  size_t begin = 0, end = 0;          // the token, bytes
  size_t ext_begin = 0, ext_end = 0;  // display bounds, bytes
  size_t cp_begin = 0, cp_end = 0;    // display bounds, code points
  bool matched = false;
};

// HTML-escapes `text`; invalid UTF-8 becomes U+FFFD, as a snippet goes into
// a protobuf string, which must be valid UTF-8.
void AppendEscaped(absl::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      size_t next;
      if (CodePointAt(text, i, &next) < 0) {
        out->append("\xEF\xBF\xBD");
      } else {
        out->append(text.data() + i, next - i);
      }
      i = next;
      continue;
    }
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&#39;"); break;
      default: out->push_back(c);
    }
    ++i;
  }
}

// Text between words: whitespace runs become one space.
void AppendGap(absl::string_view text, std::string* out) {
  size_t i = 0;
  bool in_space = false;
  while (i < text.size()) {
    size_t next;
    if (IsSpace(CodePointAt(text, i, &next))) {
      if (!in_space) out->push_back(' ');
      in_space = true;
    } else {
      AppendEscaped(text.substr(i, next - i), out);
      in_space = false;
    }
    i = next;
  }
}

bool Matches(const Token& token, const std::set<std::string>& matched, const Stemmer& stemmer) {
  if (matched.empty()) return false;
  if (matched.count(token.folded) > 0) return true;
  for (const std::string& stem : stemmer.Stems(token.surface)) {
    if (matched.count(stem) > 0) return true;
  }
  return false;
}

std::vector<Span> Spans(absl::string_view text, const std::vector<TokenBounds>& tokens,
                        const std::vector<bool>& matched) {
  std::vector<Span> spans(tokens.size());
  for (size_t k = 0; k < tokens.size(); ++k) {
    Span& s = spans[k];
    s.begin = s.ext_begin = tokens[k].begin;
    s.end = s.ext_end = tokens[k].end;
    s.matched = matched[k];
    // Backwards to whitespace; not when another token comes first (the
    // "-" of "COVID-19" belongs to neither half). The first token reaches
    // back to the first visible character, so a snippet that starts the
    // text drops nothing and needs no "…"; the last token likewise.
    const size_t low = k == 0 ? 0 : tokens[k - 1].end;
    size_t i = s.begin;
    while (i > low) {
      size_t prev;
      if (IsSpace(CodePointBefore(text, i, &prev)) && k > 0) break;
      i = prev;
    }
    if (i > low || k == 0) s.ext_begin = i;
    const size_t high = k + 1 == tokens.size() ? text.size() : tokens[k + 1].begin;
    i = s.end;
    while (i < high) {
      size_t next;
      if (IsSpace(CodePointAt(text, i, &next)) && k + 1 < tokens.size()) break;
      i = next;
    }
    if (i < high || k + 1 == tokens.size()) s.ext_end = i;
  }
  // Whitespace at either end of the text is not shown.
  if (!spans.empty()) {
    size_t next;
    while (spans.front().ext_begin < spans.front().begin &&
           IsSpace(CodePointAt(text, spans.front().ext_begin, &next))) {
      spans.front().ext_begin = next;
    }
    size_t prev;
    while (spans.back().ext_end > spans.back().end && IsSpace(CodePointBefore(text, spans.back().ext_end, &prev))) {
      spans.back().ext_end = prev;
    }
  }
  // Display bounds are ascending, so one pass counts code points.
  size_t byte = 0, cp = 0;
  for (Span& s : spans) {
    cp += CharPosition(text.substr(byte), s.ext_begin - byte);
    s.cp_begin = cp;
    cp += CharPosition(text.substr(s.ext_begin), s.ext_end - s.ext_begin);
    s.cp_end = cp;
    byte = s.ext_end;
  }
  return spans;
}

// Renders text[begin, end) with marks on the matched spans in [first, last].
std::string Render(absl::string_view text, const std::vector<Span>& spans, size_t first, size_t last, size_t begin,
                   size_t end, bool lead, bool trail) {
  std::string out;
  if (lead) out.append(kEllipsis);
  size_t pos = begin;
  for (size_t k = first; k <= last && k < spans.size(); ++k) {
    const Span& s = spans[k];
    if (s.begin >= end) break;
    AppendGap(text.substr(pos, s.begin - pos), &out);
    const size_t token_end = std::min(s.end, end);
    if (s.matched) out.append("<mark>");
    AppendEscaped(text.substr(s.begin, token_end - s.begin), &out);
    if (s.matched) out.append("</mark>");
    pos = token_end;
  }
  if (pos < end) AppendGap(text.substr(pos, end - pos), &out);
  if (trail) out.append(kEllipsis);
  return out;
}

// The byte offset `chars` code points after `begin`.
size_t Advance(absl::string_view text, size_t begin, size_t chars) {
  size_t i = begin;
  for (size_t n = 0; n < chars && i < text.size(); ++n) CodePointAt(text, i, &i);
  return i;
}

}  // namespace

namespace {

// The snippet of `text` whose words `tokens` are marked where `matched` is.
std::string SnippetOf(absl::string_view text, const std::vector<TokenBounds>& tokens,
                      const std::vector<bool>& matched, size_t max_chars) {
  if (max_chars == 0) return "";
  if (tokens.empty()) {
    // Nothing but punctuation: show the start of it.
    const size_t begin = [&] {
      size_t i = 0, next;
      while (i < text.size() && IsSpace(CodePointAt(text, i, &next))) i = next;
      return i;
    }();
    const size_t end = Advance(text, begin, max_chars);
    const bool cut = !std::all_of(text.begin() + end, text.end(), [](char c) { return absl::ascii_isspace(c); });
    std::string out;
    AppendGap(text.substr(begin, end - begin), &out);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (cut) out.append(kEllipsis);
    return out;
  }

  const std::vector<Span> spans = Spans(text, tokens, matched);
  auto width = [&](size_t a, size_t b) { return spans[b].cp_end - spans[a].cp_begin; };

  // The densest run: the most matched words within max_chars (earliest on a
  // tie, as the start of an article tends to say the most).
  std::vector<size_t> hits;
  for (size_t k = 0; k < spans.size(); ++k) {
    if (spans[k].matched) hits.push_back(k);
  }
  size_t a = 0, b = 0;
  if (!hits.empty()) {
    size_t best = 0;
    for (size_t l = 0, r = 0; l < hits.size(); ++l) {
      r = std::max(r, l);
      while (r + 1 < hits.size() && width(hits[l], hits[r + 1]) <= max_chars) ++r;
      if (r - l + 1 > best) {
        best = r - l + 1;
        a = hits[l];
        b = hits[r];
      }
    }
  }

  if (width(a, b) > max_chars) {
    // One word longer than the whole snippet.
    const size_t end = Advance(text, spans[a].ext_begin, max_chars);
    return Render(text, spans, a, a, spans[a].ext_begin, end, a > 0, true);
  }
  // Context on both sides, a word at a time, while it fits.
  for (bool grew = true; grew;) {
    grew = false;
    if (a > 0 && width(a - 1, b) <= max_chars) {
      --a;
      grew = true;
    }
    if (b + 1 < spans.size() && width(a, b + 1) <= max_chars) {
      ++b;
      grew = true;
    }
  }
  return Render(text, spans, a, b, spans[a].ext_begin, spans[b].ext_end, a > 0, b + 1 < spans.size());
}


}  // namespace

std::string Snippet(absl::string_view text, const std::set<std::string>& matched, size_t max_chars,
                    const Stemmer& stemmer) {
  const std::vector<Token> tokens = Tokenize(text);
  std::vector<TokenBounds> bounds(tokens.size());
  std::vector<bool> marked(tokens.size());
  for (size_t k = 0; k < tokens.size(); ++k) {
    bounds[k] = {tokens[k].begin, tokens[k].end};
    marked[k] = Matches(tokens[k], matched, stemmer);
  }
  return SnippetOf(text, bounds, marked, max_chars);
}

std::string SnippetAt(absl::string_view text, const std::vector<uint32_t>& positions, size_t max_chars) {
  // Word breaking is most of a snippet's cost, and only the words up to the
  // last match and a snippet's width beyond it can be shown: a window of
  // max_chars code points around matches never reaches a word that begins
  // 4 × max_chars bytes after the last match, and one such word tells that
  // more text follows. Without matches the snippet starts the text.
  const uint32_t last = positions.empty() ? 0 : *std::max_element(positions.begin(), positions.end());
  const std::vector<TokenBounds> tokens = TokenizeBoundsThrough(text, last, 4 * max_chars);
  std::vector<bool> marked(tokens.size());
  for (uint32_t p : positions) {
    if (p < marked.size()) marked[p] = true;
  }
  return SnippetOf(text, tokens, marked, max_chars);
}

}  // namespace newsdesk::text
