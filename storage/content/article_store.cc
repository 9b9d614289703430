#include "storage/content/article_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/content/article_search.h"
#include "storage/content/gallery_usage.h"
#include "storage/content/schema.h"
#include "storage/content/slug.h"
#include "storage/kv/ids.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/request_ids.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

constexpr int64_t kNoTime = std::numeric_limits<int64_t>::max();

std::string RecordKey(absl::string_view id) { return absl::StrCat(std::string(1, kArticleKind), id); }

std::string RequestKey(absl::string_view request_id) {
  return absl::StrCat(std::string(1, kArticleKind), request_id);
}

std::string IdOf(const Article& a) { return a.name().substr(sizeof("articles/") - 1); }

int64_t Micros(const google::protobuf::Timestamp& ts) { return absl::ToUnixMicros(FromProtoTime(ts)); }

// ord(t) + id: the position of an article in a newest-first order.
std::string OrderSuffix(int64_t micros, absl::string_view id) {
  std::string s;
  kv::AppendI64(&s, micros == kNoTime ? kNoTime : -micros);
  s.append(id.data(), id.size());
  return s;
}

int64_t PublishMicros(const Article& a) { return a.has_publish_time() ? Micros(a.publish_time()) : kNoTime; }

std::string Prefixed(char prefix, absl::string_view rest = "") {
  std::string k(1, prefix);
  k.append(rest.data(), rest.size());
  return k;
}

std::string TagPrefix(char prefix, absl::string_view tag) {
  std::string k(1, prefix);
  k.append(tag.data(), tag.size());
  k.push_back('\0');
  return k;
}

std::string RevisionPrefix(absl::string_view id) {
  std::string k(id.data(), id.size());
  k.push_back('\0');
  return k;
}

std::string RevisionKey(absl::string_view id, int64_t seq) {
  std::string k = RevisionPrefix(id);
  kv::AppendI64(&k, -seq);
  return k;
}

int64_t RevisionSeq(absl::string_view revision_id) {
  int64_t n = 0;
  if (revision_id.size() < 2 || revision_id[0] != 'r' || !absl::SimpleAtoi(revision_id.substr(1), &n) || n < 1) {
    return 0;
  }
  return n;
}

using kv::IsIdChar;
using kv::NewEtag;

// A cursor is an order suffix: 8 bytes of time, then an article id.
bool IsValidCursor(absl::string_view cursor) {
  return cursor.size() > 8 && cursor.size() <= 8 + 63 && std::all_of(cursor.begin() + 8, cursor.end(), IsIdChar);
}

const char* StateName(Article::State s) {
  switch (s) {
    case Article::STATE_DRAFT: return "DRAFT";
    case Article::STATE_SCHEDULED: return "SCHEDULED";
    case Article::STATE_PUBLISHED: return "PUBLISHED";
    case Article::STATE_DELETED: return "DELETED";
    default: return "UNSPECIFIED";
  }
}

absl::Status WrongState(const Article& a, Article::State effective, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat(a.name(), " is in state STATE_", StateName(effective), "; ", why));
}

// Exposes an article to filter evaluation.
class ArticleFields : public query::FieldSource {
 public:
  ArticleFields(const Article& a, Article::State state) : a_(a), state_(state) {}
  std::vector<std::string> Strings(absl::string_view field) const override {
    if (field == "state") return {StateName(state_)};
    if (field == "language") return {a_.language()};
    if (field == "slug") return {a_.slug()};
    if (field == "tags") return {a_.tags().begin(), a_.tags().end()};
    if (field == "authors") return {a_.authors().begin(), a_.authors().end()};
    return {};
  }
  std::optional<absl::Time> Time(absl::string_view field) const override {
    const google::protobuf::Timestamp* ts = nullptr;
    if (field == "create_time" && a_.has_create_time()) ts = &a_.create_time();
    if (field == "update_time" && a_.has_update_time()) ts = &a_.update_time();
    if (field == "publish_time" && a_.has_publish_time()) ts = &a_.publish_time();
    if (ts == nullptr) return std::nullopt;
    return FromProtoTime(*ts);
  }

 private:
  const Article& a_;
  Article::State state_;
};

absl::Status ParseRecord(absl::string_view bytes, absl::string_view what, Article* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " is unreadable"));
  }
  return absl::OkStatus();
}

// The article a reader sees at `now`.
Article Visible(Article a, absl::Time now) {
  a.set_state(EffectiveState(a, now));
  return a;
}

// Puts every index entry and counter of `article` (new to the index) into `batch`.
void AddIndexEntries(const Article& article, kv::WriteBatch& batch) {
  std::optional<SearchLengths> search;
  for (const auto& [k, v] : ArticleIndexEntries(article, &search)) PutArticleIndexEntry(batch, k, v);
  if (!search) return;
  for (const auto& [counter, delta] : SearchCounterDeltas(nullptr, &*search)) {
    if (delta != 0) batch.AddInt64(kCountersCf, counter, delta);
  }
}

}  // namespace

std::string ArticleName(absl::string_view article_id) { return absl::StrCat("articles/", article_id); }

const query::Schema& ArticleFilterSchema() {
  static const auto* schema = new query::Schema{
      {.name = "state",
       .type = query::ValueType::kEnum,
       .enum_values = {"DRAFT", "SCHEDULED", "PUBLISHED", "DELETED"},
       .enum_prefix = "STATE_"},
      {.name = "language", .type = query::ValueType::kString},
      {.name = "slug", .type = query::ValueType::kString},
      {.name = "tags", .type = query::ValueType::kRepeatedString},
      {.name = "authors", .type = query::ValueType::kRepeatedString},
      {.name = "publish_time", .type = query::ValueType::kTimestamp},
      {.name = "create_time", .type = query::ValueType::kTimestamp},
      {.name = "update_time", .type = query::ValueType::kTimestamp},
  };
  return *schema;
}

bool ArticleMatches(const query::Node& filter, const Article& article, Article::State state) {
  return query::Matches(filter, ArticleFields(article, state));
}

Article::State EffectiveState(const Article& a, absl::Time now) {
  if (a.state() == Article::STATE_SCHEDULED && a.has_publish_time() && FromProtoTime(a.publish_time()) <= now) {
    return Article::STATE_PUBLISHED;
  }
  return a.state();
}

std::vector<std::pair<std::string, std::string>> ArticleIndexEntries(const Article& a,
                                                                     std::optional<SearchLengths>* search) {
  std::vector<std::pair<std::string, std::string>> entries;
  const std::string id = IdOf(a);
  const int64_t create = Micros(a.create_time());
  const int64_t update = Micros(a.update_time());
  const int64_t publish = PublishMicros(a);
  entries.emplace_back(Prefixed(kArticlesAllByCreate, OrderSuffix(create, id)), "");
  entries.emplace_back(Prefixed(kArticleSlugs, a.slug()), id);
  if (a.state() == Article::STATE_DELETED) return entries;
  entries.emplace_back(Prefixed(kArticlesLiveByCreate, OrderSuffix(create, id)), "");
  entries.emplace_back(Prefixed(kArticlesLiveByPublish, OrderSuffix(publish, id)), "");
  entries.emplace_back(Prefixed(kArticlesLiveByUpdate, OrderSuffix(update, id)), "");
  const char category = a.has_publish_time() ? kStateHasPublishTime : kStateDraft;
  entries.emplace_back(Prefixed(kArticlesLiveByState, absl::StrCat(std::string(1, category), OrderSuffix(create, id))),
                       "");
  for (const auto& tag : a.tags()) {
    entries.emplace_back(TagPrefix(kArticlesLiveByTag, tag) + OrderSuffix(create, id), "");
    entries.emplace_back(TagPrefix(kArticlesLiveByTagPublish, tag) + OrderSuffix(publish, id), "");
  }
  for (const auto& author : a.authors()) {
    entries.emplace_back(TagPrefix(kArticlesLiveByAuthor, author) + OrderSuffix(create, id), "");
    entries.emplace_back(TagPrefix(kArticlesLiveByAuthorPublish, author) + OrderSuffix(publish, id), "");
  }
  AppendGalleryUsageEntries(a, &entries);
  const SearchLengths lengths = AppendSearchEntries(a, &entries);
  if (search != nullptr) *search = lengths;
  return entries;
}

ArticleStore::ArticleStore(kv::Database* db, Clock* clock, ArticleStoreOptions options)
    : db_(db), clock_(clock), options_(options) {}

absl::StatusOr<Article> ArticleStore::Load(const std::string& article_id, const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kRecordsCf, RecordKey(article_id), snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(ArticleName(article_id), " not found"));
  Article article;
  if (auto st = ParseRecord(**value, absl::StrCat("article ", ArticleName(article_id)), &article); !st.ok()) {
    return st;
  }
  return article;
}

absl::StatusOr<Article> ArticleStore::Get(const std::string& article_id) const {
  auto a = Load(article_id, nullptr);
  if (!a.ok()) return a.status();
  return Visible(*std::move(a), clock_->Now());
}

absl::StatusOr<Article> ArticleStore::GetRevision(const std::string& article_id,
                                                  const std::string& revision_id) const {
  const int64_t seq = RevisionSeq(revision_id);
  const std::string name = absl::StrCat(ArticleName(article_id), "@", revision_id);
  if (seq == 0) return absl::NotFoundError(absl::StrCat(name, " not found"));
  auto value = db_->Get(kRevisionsCf, RevisionKey(article_id, seq));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(name, " not found"));
  Article revision;
  if (auto st = ParseRecord(**value, absl::StrCat("revision ", name), &revision); !st.ok()) return st;
  revision.set_name(name);
  return revision;
}

absl::StatusOr<std::string> ArticleStore::AllocateSlug(const std::string& title, SlugGuards* guards) {
  const std::string base = SlugFromTitle(title);
  // Creators of articles with the same base slug queue on the base's lock, so
  // they pick "base", "base-2", "base-3", ... one after another instead of
  // racing for the same candidate. The candidate's own lock (a second table)
  // guards against a creator whose title yields that candidate directly
  // ("Base 2" → "base-2").
  guards->base = slug_base_locks_.Lock({base});
  for (int round = 0; round < 8; ++round) {
    std::string candidate = base;
    auto taken = db_->Get(kIndexesCf, Prefixed(kArticleSlugs, base));
    if (!taken.ok()) return taken.status();
    if (taken->has_value()) {
      // Collect the numeric suffixes in use and take the next one: one
      // bounded scan instead of probing one by one.
      const std::string prefix = Prefixed(kArticleSlugs, absl::StrCat(base, "-"));
      int next = 2;
      auto it = db_->Scan(kIndexesCf, prefix, kv::PrefixSuccessor(prefix));
      for (; it->Valid(); it->Next()) {
        int n = 0;
        absl::string_view digits = it->key().substr(prefix.size());
        if (absl::SimpleAtoi(digits, &n) && n >= next && n < 1000000000) next = n + 1;
      }
      if (auto st = it->status(); !st.ok()) return st;
      // A long base is trimmed to make room for the suffix, so its taken
      // candidates may not start with "base-": probe upwards from there.
      for (int probe = 0; probe < 1000; ++probe) {
        candidate = SlugCandidate(base, next + probe);
        auto used = db_->Get(kIndexesCf, Prefixed(kArticleSlugs, candidate));
        if (!used.ok()) return used.status();
        if (!used->has_value()) break;
      }
    }
    guards->candidate = slug_locks_.Lock({candidate});
    auto again = db_->Get(kIndexesCf, Prefixed(kArticleSlugs, candidate));
    if (!again.ok()) return again.status();
    if (!again->has_value()) return candidate;
    guards->candidate = slug_locks_.Lock({});
  }
  return absl::AbortedError("could not allocate a unique slug under contention; retry");
}

absl::StatusOr<Article> ArticleStore::Commit(const Article* old, Article next, bool new_revision,
                                             kv::WriteBatch& batch) {
  const absl::Time now = clock_->Now();
  const std::string id = IdOf(next);
  ToProtoTime(now, next.mutable_update_time());
  next.set_etag(NewEtag());
  if (new_revision) {
    const int64_t seq = (old == nullptr ? 0 : RevisionSeq(old->revision_id())) + 1;
    next.set_revision_id(absl::StrCat("r", seq));
    ToProtoTime(now, next.mutable_revision_create_time());
    batch.Put(kRevisionsCf, RevisionKey(id, seq), next.SerializeAsString());
  }
  batch.Put(kRecordsCf, RecordKey(id), next.SerializeAsString());

  // Index maintenance: delete what the old record had and the new one has
  // not, put what is new or changed.
  std::map<std::string, std::string> before;
  std::optional<SearchLengths> search_before, search_after;
  if (old != nullptr) {
    for (auto& [k, v] : ArticleIndexEntries(*old, &search_before)) before.emplace(std::move(k), std::move(v));
  }
  std::map<std::string, std::string> after;
  for (auto& [k, v] : ArticleIndexEntries(next, &search_after)) after.emplace(std::move(k), std::move(v));
  for (const auto& [k, v] : before) {
    if (after.count(k) == 0) DeleteArticleIndexEntry(batch, k);
  }
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) PutArticleIndexEntry(batch, k, v);
  }
  for (const auto& [counter, delta] : SearchCounterDeltas(search_before ? &*search_before : nullptr,
                                                          search_after ? &*search_after : nullptr)) {
    if (delta != 0) batch.AddInt64(kCountersCf, counter, delta);
  }
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return Visible(std::move(next), now);
}

absl::StatusOr<Article> ArticleStore::Create(const Article& input, std::string article_id,
                                             const std::string& request_id) {
  const bool generated = article_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generated) article_id = kv::NewResourceId();
    std::vector<absl::string_view> keys = {article_id};
    const std::string req_lock = absl::StrCat("request:", request_id);
    if (!request_id.empty()) keys.push_back(req_lock);
    kv::KeyLocks::Guard guard = record_locks_.Lock(keys);

    const absl::Time now = clock_->Now();
    if (!request_id.empty()) {
      auto first = kv::FindRequestResponse<Article>(*db_, kRequestIdsCf, RequestKey(request_id), now, request_id);
      if (!first.ok()) return first.status();
      if (first->has_value()) return **std::move(first);
    }

    auto existing = db_->Get(kRecordsCf, RecordKey(article_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (generated && attempt < 3) continue;
      return absl::AlreadyExistsError(absl::StrCat(ArticleName(article_id), " already exists"));
    }

    SlugGuards slug_guards{slug_base_locks_.Lock({}), slug_locks_.Lock({})};
    auto slug = AllocateSlug(input.title(), &slug_guards);
    if (!slug.ok()) return slug.status();

    Article article = input;
    article.set_name(ArticleName(article_id));
    article.set_slug(*slug);
    article.set_state(Article::STATE_DRAFT);
    ToProtoTime(now, article.mutable_create_time());
    article.clear_delete_time();
    article.clear_publish_time();
    article.clear_revision_id();

    kv::WriteBatch batch(*db_);
    // The stored response must be exactly what this call returns, so the
    // record is built first and the request id entry added to the same batch.
    ToProtoTime(now, article.mutable_update_time());
    article.set_etag(NewEtag());
    article.set_revision_id("r1");
    ToProtoTime(now, article.mutable_revision_create_time());
    batch.Put(kRevisionsCf, RevisionKey(article_id, 1), article.SerializeAsString());
    batch.Put(kRecordsCf, RecordKey(article_id), article.SerializeAsString());
    AddIndexEntries(article, batch);
    if (!request_id.empty()) {
      batch.Put(kRequestIdsCf, RequestKey(request_id),
                kv::EncodeExpiring(now + options_.request_id_retention, article.SerializeAsString()));
    }
    if (auto st = db_->Write(batch); !st.ok()) return st;
    return article;
  }
}

absl::StatusOr<Article> ArticleStore::LoadForChange(const std::string& article_id, const std::string& etag) const {
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  return current;
}

absl::StatusOr<Article> ArticleStore::Update(const std::string& article_id, const Article& patch,
                                             const std::vector<std::string>& paths, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = LoadForChange(article_id, etag);
  if (!current.ok()) return current.status();
  if (current->state() == Article::STATE_DELETED) {
    return WrongState(*current, Article::STATE_DELETED, "undelete it before updating");
  }
  Article next = *current;
  for (const auto& path : paths) {
    if (path == "title") next.set_title(patch.title());
    else if (path == "lead") next.set_lead(patch.lead());
    else if (path == "body") next.set_body(patch.body());
    else if (path == "language") next.set_language(patch.language());
    else if (path == "authors") *next.mutable_authors() = patch.authors();
    else if (path == "tags") *next.mutable_tags() = patch.tags();
    else if (path == "gallery") next.set_gallery(patch.gallery());
    else return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is not a writable field"));
  }
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/true, batch);
}

absl::StatusOr<Article> ArticleStore::Publish(const std::string& article_id, const std::string& etag,
                                              std::optional<absl::Time> publish_time) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = LoadForChange(article_id, etag);
  if (!current.ok()) return current.status();
  const absl::Time now = clock_->Now();
  const Article::State state = EffectiveState(*current, now);
  if (state == Article::STATE_DELETED) return WrongState(*current, state, "undelete it before publishing");
  if (state == Article::STATE_PUBLISHED) return WrongState(*current, state, "it is already published");
  Article next = *current;
  if (publish_time.has_value() && *publish_time > now) {
    next.set_state(Article::STATE_SCHEDULED);
    ToProtoTime(*publish_time, next.mutable_publish_time());
  } else {
    next.set_state(Article::STATE_PUBLISHED);
    ToProtoTime(now, next.mutable_publish_time());
  }
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/false, batch);
}

absl::StatusOr<Article> ArticleStore::Unpublish(const std::string& article_id, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = LoadForChange(article_id, etag);
  if (!current.ok()) return current.status();
  const Article::State state = EffectiveState(*current, clock_->Now());
  if (state != Article::STATE_PUBLISHED && state != Article::STATE_SCHEDULED) {
    return WrongState(*current, state, "only published or scheduled articles can be unpublished");
  }
  Article next = *current;
  next.set_state(Article::STATE_DRAFT);
  next.clear_publish_time();
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/false, batch);
}

absl::StatusOr<Article> ArticleStore::Rollback(const std::string& article_id, const std::string& revision_id,
                                               const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = LoadForChange(article_id, etag);
  if (!current.ok()) return current.status();
  if (current->state() == Article::STATE_DELETED) {
    return WrongState(*current, Article::STATE_DELETED, "undelete it before rolling back");
  }
  auto old = GetRevision(article_id, revision_id);
  if (!old.ok()) return old.status();
  Article next = *current;
  next.set_title(old->title());
  next.set_lead(old->lead());
  next.set_body(old->body());
  next.set_language(old->language());
  *next.mutable_authors() = old->authors();
  *next.mutable_tags() = old->tags();
  next.set_gallery(old->gallery());
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/true, batch);
}

absl::StatusOr<Article> ArticleStore::Delete(const std::string& article_id, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  if (current->state() == Article::STATE_DELETED) {
    return absl::NotFoundError(absl::StrCat(current->name(), " is already deleted"));
  }
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  Article next = *current;
  next.set_state(Article::STATE_DELETED);
  ToProtoTime(clock_->Now(), next.mutable_delete_time());
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/false, batch);
}

absl::StatusOr<Article> ArticleStore::Undelete(const std::string& article_id) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  if (current->state() != Article::STATE_DELETED) {
    return absl::AlreadyExistsError(absl::StrCat(current->name(), " is not deleted"));
  }
  Article next = *current;
  // The publish time survives deletion, so the article comes back as it was:
  // scheduled or published when it had one, a draft otherwise.
  next.set_state(next.has_publish_time() ? Article::STATE_SCHEDULED : Article::STATE_DRAFT);
  if (next.has_publish_time() && FromProtoTime(next.publish_time()) <= clock_->Now()) {
    next.set_state(Article::STATE_PUBLISHED);
  }
  next.clear_delete_time();
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), /*new_revision=*/false, batch);
}

absl::StatusOr<ArticlePage> ArticleStore::ListRevisions(const std::string& article_id, int page_size,
                                                        const std::string& cursor) const {
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  const std::string prefix = RevisionPrefix(article_id);
  if (!cursor.empty() && cursor.size() != 8) {
    return absl::InvalidArgumentError("page_token does not point into this article's revisions");
  }
  auto it = db_->Scan(kRevisionsCf, prefix, kv::PrefixSuccessor(prefix));
  if (!cursor.empty()) {
    const std::string start = prefix + cursor;
    it->Seek(start);
    if (it->Valid() && it->key() == start) it->Next();
  }
  ArticlePage page;
  std::string last;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.articles.size()) == page_size) {
      page.next_cursor = last;
      break;
    }
    Article revision;
    if (auto st = ParseRecord(it->value(), absl::StrCat("revision of ", ArticleName(article_id)), &revision);
        !st.ok()) {
      return st;
    }
    revision.set_name(absl::StrCat(ArticleName(article_id), "@", revision.revision_id()));
    page.articles.push_back(std::move(revision));
    last = std::string(it->key().substr(prefix.size()));
  }
  if (auto st = it->status(); !st.ok()) return st;
  return page;
}

absl::StatusOr<ArticlePage> ArticleStore::List(const ListQuery& query) const {
  if (!query.cursor.empty() && !IsValidCursor(query.cursor)) {
    return absl::InvalidArgumentError("page_token does not point into the articles collection");
  }
  const absl::Time now = clock_->Now();
  if (query.force_scan || query.show_deleted) return ListByScan(query, now);
  return ListByIndex(query, now);
}

namespace {

// A key range [lo, hi] of ord(t) values in an index (inclusive).
struct OrdRange {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  void Restrict(query::Op op, int64_t t) {
    // ord = -t: t < v ⇔ ord > -v, and so on.
    switch (op) {
      case query::Op::kLt: lo = std::max(lo, -t + 1); break;
      case query::Op::kLe: lo = std::max(lo, -t); break;
      case query::Op::kGt: hi = std::min(hi, -t - 1); break;
      case query::Op::kGe: hi = std::min(hi, -t); break;
      case query::Op::kEq: lo = std::max(lo, -t); hi = std::min(hi, -t); break;
      default: break;
    }
  }
};

const char* OrderFieldName(OrderField f) {
  switch (f) {
    case OrderField::kCreateTime: return "create_time";
    case OrderField::kUpdateTime: return "update_time";
    case OrderField::kPublishTime: return "publish_time";
  }
  return "";
}

}  // namespace

absl::StatusOr<ArticlePage> ArticleStore::ListByIndex(const ListQuery& query, absl::Time now) const {
  // Choose the index: its order must be the requested one; an author, tag
  // or state restriction that every result must satisfy narrows it further
  // (an author first: usually the fewest articles). Whatever index is used,
  // each candidate is checked against the whole filter.
  std::string prefix(1, kArticlesLiveByCreate);
  OrdRange range;
  const std::string order_field = OrderFieldName(query.order);
  std::vector<const query::Node*> required;
  if (query.filter != nullptr) required = query::RequiredRestrictions(*query.filter);
  const query::Node* tag = nullptr;
  const query::Node* author = nullptr;
  const query::Node* state = nullptr;
  for (const auto* r : required) {
    if (r->field == "tags" && r->op == query::Op::kHas && tag == nullptr) tag = r;
    if (r->field == "authors" && r->op == query::Op::kHas && author == nullptr) author = r;
    if (r->field == "state" && r->op == query::Op::kEq && state == nullptr) state = r;
    if (r->field == order_field && r->type == query::ValueType::kTimestamp) {
      range.Restrict(r->op, absl::ToUnixMicros(r->time));
    }
  }
  if (state != nullptr && state->text == "DELETED") return ArticlePage{};  // live indexes hold none
  const int64_t now_us = absl::ToUnixMicros(now);
  switch (query.order) {
    case OrderField::kCreateTime:
      if (author != nullptr) {
        prefix = TagPrefix(kArticlesLiveByAuthor, author->text);
      } else if (tag != nullptr) {
        prefix = TagPrefix(kArticlesLiveByTag, tag->text);
      } else if (state != nullptr) {
        prefix = absl::StrCat(std::string(1, kArticlesLiveByState),
                              std::string(1, state->text == "DRAFT" ? kStateDraft : kStateHasPublishTime));
      }
      break;
    case OrderField::kUpdateTime:
      prefix = std::string(1, kArticlesLiveByUpdate);
      break;
    case OrderField::kPublishTime:
      prefix = author != nullptr ? TagPrefix(kArticlesLiveByAuthorPublish, author->text)
               : tag != nullptr  ? TagPrefix(kArticlesLiveByTagPublish, tag->text)
                                 : std::string(1, kArticlesLiveByPublish);
      if (state != nullptr && state->text == "PUBLISHED") range.Restrict(query::Op::kLe, now_us);
      if (state != nullptr && state->text == "SCHEDULED") range.Restrict(query::Op::kGt, now_us);
      if (state != nullptr && state->text == "DRAFT") {
        range.lo = std::max(range.lo, kNoTime);
      } else if (range.lo != std::numeric_limits<int64_t>::min() || state != nullptr) {
        range.hi = std::min(range.hi, kNoTime - 1);  // a time restriction excludes drafts
      }
      break;
  }
  if (range.lo > range.hi) return ArticlePage{};

  std::string lower = prefix, upper = prefix;
  kv::AppendI64(&lower, range.lo);
  if (range.hi == std::numeric_limits<int64_t>::max()) {
    upper = kv::PrefixSuccessor(prefix);
  } else {
    kv::AppendI64(&upper, range.hi + 1);
  }
  auto snapshot = db_->GetSnapshot();
  auto it = db_->Scan(kIndexesCf, lower, upper, snapshot.get());
  const bool forward = query.descending;  // ord keys ascend as times descend
  if (!query.cursor.empty()) {
    const std::string start = prefix + query.cursor;
    if (forward) {
      it->Seek(start);
      if (it->Valid() && it->key() == start) it->Next();
    } else {
      it->SeekForPrev(start);
      if (it->Valid() && it->key() == start) it->Prev();
    }
  } else if (!forward) {
    it->SeekToLast();
  }

  ArticlePage page;
  std::string last;
  for (; it->Valid(); forward ? it->Next() : it->Prev()) {
    const absl::string_view suffix = it->key().substr(prefix.size());
    if (suffix.size() <= 8) return absl::DataLossError("malformed article index entry");
    auto article = Load(std::string(suffix.substr(8)), snapshot.get());
    if (!article.ok()) return article.status();
    const Article::State effective = EffectiveState(*article, now);
    if (query.filter != nullptr && !query::Matches(*query.filter, ArticleFields(*article, effective))) continue;
    if (static_cast<int>(page.articles.size()) == query.page_size) {
      page.next_cursor = last;
      break;
    }
    article->set_state(effective);
    page.articles.push_back(*std::move(article));
    last = std::string(suffix);
  }
  if (auto st = it->status(); !st.ok()) return st;
  return page;
}

absl::StatusOr<ArticlePage> ArticleStore::ListByScan(const ListQuery& query, absl::Time now) const {
  // Every record, filtered and sorted in memory: the cost grows with the
  // collection, which is why ListByIndex answers whenever it can.
  auto snapshot = db_->GetSnapshot();
  const std::string prefix(1, kArticleKind);
  std::vector<std::pair<std::string, Article>> matches;
  auto it = db_->Scan(kRecordsCf, prefix, kv::PrefixSuccessor(prefix), snapshot.get());
  for (; it->Valid(); it->Next()) {
    Article a;
    if (auto st = ParseRecord(it->value(), absl::StrCat("article ", ArticleName(it->key().substr(1))), &a);
        !st.ok()) {
      return st;
    }
    const Article::State effective = EffectiveState(a, now);
    if (effective == Article::STATE_DELETED && !query.show_deleted) continue;
    if (query.filter != nullptr && !query::Matches(*query.filter, ArticleFields(a, effective))) continue;
    int64_t t = 0;
    switch (query.order) {
      case OrderField::kCreateTime: t = Micros(a.create_time()); break;
      case OrderField::kUpdateTime: t = Micros(a.update_time()); break;
      case OrderField::kPublishTime: t = PublishMicros(a); break;
    }
    // The same positions ListByIndex uses, so both paths page alike.
    std::string key = OrderSuffix(t, IdOf(a));
    a.set_state(effective);
    matches.emplace_back(std::move(key), std::move(a));
  }
  if (auto st = it->status(); !st.ok()) return st;
  std::sort(matches.begin(), matches.end(), [&](const auto& x, const auto& y) {
    return query.descending ? x.first < y.first : x.first > y.first;
  });
  ArticlePage page;
  size_t i = 0;
  if (!query.cursor.empty()) {
    while (i < matches.size() &&
           (query.descending ? matches[i].first <= query.cursor : matches[i].first >= query.cursor)) {
      ++i;
    }
  }
  for (; i < matches.size(); ++i) {
    if (static_cast<int>(page.articles.size()) == query.page_size) {
      page.next_cursor = matches[i - 1].first;
      break;
    }
    page.articles.push_back(std::move(matches[i].second));
  }
  return page;
}

absl::Status ArticleStore::RebuildIndexes() {
  {
    kv::WriteBatch clear(*db_);
    for (kv::CfId cf : {kIndexesCf, kSearchCf, kCountersCf}) clear.DeleteRange(cf, "", std::string(1, '\xff'));
    if (auto st = db_->Write(clear); !st.ok()) return st;
  }
  // Many articles per batch: a synced write each would make the rebuild of a
  // large collection take minutes of fsyncs.
  constexpr int kArticlesPerBatch = 256;
  const std::string prefix(1, kArticleKind);
  auto it = db_->Scan(kRecordsCf, prefix, kv::PrefixSuccessor(prefix));
  auto batch = std::make_unique<kv::WriteBatch>(*db_);
  int in_batch = 0;
  for (; it->Valid(); it->Next()) {
    Article a;
    if (auto st = ParseRecord(it->value(), "article", &a); !st.ok()) return st;
    AddIndexEntries(a, *batch);
    if (++in_batch == kArticlesPerBatch) {
      if (auto st = db_->Write(*batch); !st.ok()) return st;
      batch = std::make_unique<kv::WriteBatch>(*db_);
      in_batch = 0;
    }
  }
  if (auto st = it->status(); !st.ok()) return st;
  if (in_batch > 0) {
    if (auto st = db_->Write(*batch); !st.ok()) return st;
  }
  kv::WriteBatch done(*db_);
  done.Put(kIndexesCf, GalleryUsageMarkerKey(), "");
  if (auto st = db_->Write(done); !st.ok()) return st;
  // Drop the old entries and the range deletion, and combine the search
  // blocks' operands, now rather than in later background compactions that
  // would compete with serving. The records are rewritten too: files written
  // by an older release keep its compression (ZSTD before records kept LZ4)
  // until a compaction happens to reach them.
  if (auto st = db_->CompactAll(kIndexesCf); !st.ok()) return st;
  if (auto st = db_->CompactAll(kSearchCf); !st.ok()) return st;
  return db_->CompactAll(kRecordsCf);
}

}  // namespace newsdesk::content
