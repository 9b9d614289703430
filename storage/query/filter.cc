#include "storage/query/filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace newsdesk::query {
namespace {

size_t CharPosition(absl::string_view text, size_t byte_offset) {
  size_t n = 0;
  for (size_t i = 0; i < byte_offset && i < text.size(); ++i) n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return n;
}

struct Token {
  enum class Kind { kEnd, kWord, kString, kLParen, kRParen, kComparator, kMinus };
  Kind kind = Kind::kEnd;
  std::string text;
  size_t offset = 0;
};

class Parser {
 public:
  Parser(absl::string_view input, const Schema& schema) : input_(input), schema_(schema) {}

  absl::StatusOr<Node> Parse() {
    if (input_.size() > kMaxFilterChars) {
      return absl::InvalidArgumentError(absl::StrCat("filter: longer than ", kMaxFilterChars, " characters"));
    }
    if (auto st = Advance(); !st.ok()) return st;
    if (token_.kind == Token::Kind::kEnd) return Node{};
    auto node = Expression(0);
    if (!node.ok()) return node;
    if (token_.kind != Token::Kind::kEnd) return Error(token_.offset, absl::StrCat("unexpected \"", token_.text, "\""));
    return node;
  }

 private:
  absl::Status Error(size_t offset, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: ", what, " at position ", CharPosition(input_, offset)));
  }

  bool IsWordChar(char c) const {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '*' ||
           c == '+' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
  }

  // Reads the next token. After a comparator a bare value may contain ':'
  // (RFC 3339 times), so `value_mode` widens what a word is.
  absl::Status Advance(bool value_mode = false) {
    while (pos_ < input_.size() && absl::ascii_isspace(static_cast<unsigned char>(input_[pos_]))) ++pos_;
    token_ = Token{};
    token_.offset = pos_;
    if (pos_ >= input_.size()) return absl::OkStatus();
    const char c = input_[pos_];
    if (c == '(' || c == ')') {
      token_.kind = c == '(' ? Token::Kind::kLParen : Token::Kind::kRParen;
      token_.text = std::string(1, c);
      ++pos_;
      return absl::OkStatus();
    }
    if (c == '"' || c == '\'') {
      const char quote = c;
      ++pos_;
      std::string s;
      while (pos_ < input_.size() && input_[pos_] != quote) {
        if (input_[pos_] == '\\' && pos_ + 1 < input_.size()) ++pos_;
        s.push_back(input_[pos_++]);
      }
      if (pos_ >= input_.size()) return Error(token_.offset, "unterminated string");
      ++pos_;
      token_.kind = Token::Kind::kString;
      token_.text = std::move(s);
      return absl::OkStatus();
    }
    if (c == '=' || c == '!' || c == '<' || c == '>' || c == ':') {
      std::string op(1, c);
      ++pos_;
      if (pos_ < input_.size() && input_[pos_] == '=' && c != '=' && c != ':') op.push_back(input_[pos_++]);
      if (op == "!") return Error(token_.offset, "\"!\" must be followed by \"=\"");
      token_.kind = Token::Kind::kComparator;
      token_.text = std::move(op);
      return absl::OkStatus();
    }
    if (c == '-' && !value_mode) {
      token_.kind = Token::Kind::kMinus;
      token_.text = "-";
      ++pos_;
      return absl::OkStatus();
    }
    size_t end = pos_;
    while (end < input_.size() && (IsWordChar(input_[end]) || (value_mode && input_[end] == ':'))) ++end;
    if (end == pos_) return Error(pos_, absl::StrCat("unexpected character \"", std::string(1, c), "\""));
    token_.kind = Token::Kind::kWord;
    token_.text = std::string(input_.substr(pos_, end - pos_));
    pos_ = end;
    return absl::OkStatus();
  }

  bool AtKeyword(absl::string_view kw) const { return token_.kind == Token::Kind::kWord && token_.text == kw; }

  static Node Combine(Node::Kind kind, std::vector<Node> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    Node n;
    n.kind = kind;
    n.children = std::move(parts);
    return n;
  }

  absl::StatusOr<Node> Expression(int depth) {
    if (depth > kMaxFilterDepth) return Error(token_.offset, "nested too deeply");
    std::vector<Node> parts;
    for (;;) {
      auto seq = Sequence(depth);
      if (!seq.ok()) return seq;
      parts.push_back(*std::move(seq));
      if (!AtKeyword("AND")) break;
      if (auto st = Advance(); !st.ok()) return st;
    }
    return Combine(Node::Kind::kAnd, std::move(parts));
  }

  bool AtTermStart() const {
    return (token_.kind == Token::Kind::kWord && !AtKeyword("AND") && !AtKeyword("OR")) ||
           token_.kind == Token::Kind::kLParen || token_.kind == Token::Kind::kMinus;
  }

  absl::StatusOr<Node> Sequence(int depth) {
    std::vector<Node> parts;
    do {
      auto f = Factor(depth);
      if (!f.ok()) return f;
      parts.push_back(*std::move(f));
    } while (AtTermStart());
    return Combine(Node::Kind::kAnd, std::move(parts));
  }

  absl::StatusOr<Node> Factor(int depth) {
    std::vector<Node> parts;
    for (;;) {
      auto t = Term(depth);
      if (!t.ok()) return t;
      parts.push_back(*std::move(t));
      if (!AtKeyword("OR")) break;
      if (auto st = Advance(); !st.ok()) return st;
    }
    return Combine(Node::Kind::kOr, std::move(parts));
  }

  absl::StatusOr<Node> Term(int depth) {
    bool negate = false;
    if (AtKeyword("NOT") || token_.kind == Token::Kind::kMinus) {
      negate = true;
      if (auto st = Advance(); !st.ok()) return st;
    }
    absl::StatusOr<Node> simple;
    if (token_.kind == Token::Kind::kLParen) {
      const size_t open = token_.offset;
      if (auto st = Advance(); !st.ok()) return st;
      if (token_.kind == Token::Kind::kRParen) return Error(token_.offset, "empty parentheses");
      simple = Expression(depth + 1);
      if (!simple.ok()) return simple;
      if (token_.kind != Token::Kind::kRParen) return Error(open, "unbalanced \"(\"");
      if (auto st = Advance(); !st.ok()) return st;
    } else {
      simple = Restriction();
      if (!simple.ok()) return simple;
    }
    if (!negate) return simple;
    Node n;
    n.kind = Node::Kind::kNot;
    n.children.push_back(*std::move(simple));
    return n;
  }

  absl::StatusOr<Node> Restriction() {
    if (token_.kind == Token::Kind::kEnd) return Error(token_.offset, "expected a field name, found the end");
    if (token_.kind != Token::Kind::kWord || AtKeyword("AND") || AtKeyword("OR") || AtKeyword("NOT")) {
      return Error(token_.offset, absl::StrCat("expected a field name, found \"", token_.text, "\""));
    }
    const size_t start = token_.offset;
    const std::string field = token_.text;
    const FieldSpec* spec = nullptr;
    for (const auto& f : schema_) {
      if (f.name == field) spec = &f;
    }
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const auto& f : schema_) names.push_back(f.name);
      return Error(start, absl::StrCat("unknown field \"", field, "\" (filterable: ", absl::StrJoin(names, ", "), ")"));
    }
    if (auto st = Advance(); !st.ok()) return st;
    if (token_.kind != Token::Kind::kComparator) {
      return Error(token_.offset, absl::StrCat("expected a comparator (= != < <= > >= :) after \"", field, "\""));
    }
    const std::string op_text = token_.text;
    const size_t op_offset = token_.offset;
    if (auto st = Advance(/*value_mode=*/true); !st.ok()) return st;
    if (token_.kind != Token::Kind::kWord && token_.kind != Token::Kind::kString) {
      return Error(token_.offset, absl::StrCat("expected a value after \"", op_text, "\""));
    }
    const size_t value_offset = token_.offset;
    std::string value = token_.text;
    if (auto st = Advance(); !st.ok()) return st;

    Node n;
    n.kind = Node::Kind::kCompare;
    n.field = field;
    n.type = spec->type;
    n.position = static_cast<int>(CharPosition(input_, start));
    if (op_text == "=") n.op = Op::kEq;
    else if (op_text == "!=") n.op = Op::kNe;
    else if (op_text == "<") n.op = Op::kLt;
    else if (op_text == "<=") n.op = Op::kLe;
    else if (op_text == ">") n.op = Op::kGt;
    else if (op_text == ">=") n.op = Op::kGe;
    else n.op = Op::kHas;

    const auto op_error = [&](absl::string_view allowed) {
      return Error(op_offset, absl::StrCat("\"", op_text, "\" does not apply to ", field, " (use ", allowed, ")"));
    };
    switch (spec->type) {
      case ValueType::kString:
        if (n.op != Op::kEq && n.op != Op::kNe && n.op != Op::kHas) return op_error("=, != or :");
        if (n.op == Op::kHas) n.op = Op::kEq;
        n.text = std::move(value);
        break;
      case ValueType::kRepeatedString:
        if (n.op != Op::kHas) return op_error(":");
        n.text = std::move(value);
        break;
      case ValueType::kEnum: {
        if (n.op != Op::kEq && n.op != Op::kNe) return op_error("= or !=");
        std::string bare = value;
        if (!spec->enum_prefix.empty() && absl::StartsWith(bare, spec->enum_prefix)) {
          bare = bare.substr(spec->enum_prefix.size());
        }
        if (std::find(spec->enum_values.begin(), spec->enum_values.end(), bare) == spec->enum_values.end()) {
          return Error(value_offset, absl::StrCat(field, " has no value \"", value, "\" (one of ",
                                                  absl::StrJoin(spec->enum_values, ", "), ")"));
        }
        n.text = std::move(bare);
        break;
      }
      case ValueType::kTimestamp: {
        if (n.op == Op::kHas) return op_error("= != < <= > >=");
        std::string err;
        absl::Time t;
        if (absl::ParseTime(absl::RFC3339_full, value, &t, &err) ||
            absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &t, &err)) {
          n.time = t;
        } else {
          return Error(value_offset, absl::StrCat(field, " needs an RFC 3339 time such as 2018-05-01T00:00:00Z or a "
                                                         "date such as 2018-05-01, got \"", value, "\""));
        }
        break;
      }
    }
    return n;
  }

  absl::string_view input_;
  const Schema& schema_;
  size_t pos_ = 0;
  Token token_;
};

const char* OpText(Op op) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kHas: return ":";
  }
  return "?";
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

template <typename T>
bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq: case Op::kHas: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
  }
  return false;
}

}  // namespace

absl::StatusOr<Node> ParseFilter(absl::string_view filter, const Schema& schema) {
  return Parser(filter, schema).Parse();
}

std::string Canonical(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kTrue:
      return "";
    case Node::Kind::kNot:
      return absl::StrCat("NOT ", Canonical(node.children[0]));
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      std::vector<std::string> parts;
      for (const auto& c : node.children) parts.push_back(Canonical(c));
      return absl::StrCat("(", absl::StrJoin(parts, node.kind == Node::Kind::kAnd ? " AND " : " OR "), ")");
    }
    case Node::Kind::kCompare: {
      const std::string value = node.type == ValueType::kTimestamp
                                    ? absl::FormatTime(absl::RFC3339_full, node.time, absl::UTCTimeZone())
                                    : node.text;
      return absl::StrCat(node.field, " ", OpText(node.op), " ", Quote(value));
    }
  }
  return "";
}

std::vector<const Node*> RequiredRestrictions(const Node& root) {
  std::vector<const Node*> out;
  if (root.kind == Node::Kind::kCompare) out.push_back(&root);
  if (root.kind == Node::Kind::kAnd) {
    for (const auto& c : root.children) {
      if (c.kind == Node::Kind::kCompare) out.push_back(&c);
      if (c.kind == Node::Kind::kAnd) {
        auto inner = RequiredRestrictions(c);
        out.insert(out.end(), inner.begin(), inner.end());
      }
    }
  }
  return out;
}

bool Matches(const Node& node, const FieldSource& source) {
  switch (node.kind) {
    case Node::Kind::kTrue:
      return true;
    case Node::Kind::kNot:
      return !Matches(node.children[0], source);
    case Node::Kind::kAnd:
      for (const auto& c : node.children) {
        if (!Matches(c, source)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& c : node.children) {
        if (Matches(c, source)) return true;
      }
      return false;
    case Node::Kind::kCompare:
      break;
  }
  if (node.type == ValueType::kTimestamp) {
    auto t = source.Time(node.field);
    if (!t.has_value()) return node.op == Op::kNe;
    return Compare(node.op, *t, node.time);
  }
  const std::vector<std::string> values = source.Strings(node.field);
  if (node.op == Op::kNe) {
    return std::find(values.begin(), values.end(), node.text) == values.end();
  }
  return std::find(values.begin(), values.end(), node.text) != values.end();
}

}  // namespace newsdesk::query
