#include "storage/content/article_store.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/content/schema.h"
#include "storage/content/slug.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

std::string RecordKey(absl::string_view id) { return absl::StrCat(std::string(1, kArticleKind), id); }

std::string RequestKey(absl::string_view request_id) {
  return absl::StrCat(std::string(1, kArticleKind), request_id);
}

// Position of an article in creation order: newest first.
std::string OrderSuffix(const Article& a) {
  std::string s;
  kv::AppendI64(&s, -absl::ToUnixMicros(FromProtoTime(a.create_time())));
  s.append(a.name().substr(sizeof("articles/") - 1));
  return s;
}

std::string IndexKey(char prefix, absl::string_view suffix) {
  std::string k(1, prefix);
  k.append(suffix.data(), suffix.size());
  return k;
}

std::string NewEtag() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

std::string NewArticleId() {
  thread_local absl::BitGen gen;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(1, static_cast<char>('a' + absl::Uniform(gen, 0, 26)));
  for (int i = 0; i < 15; ++i) id.push_back(kAlphabet[absl::Uniform(gen, 0, 36)]);
  return id;
}

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

absl::Status ParseRecord(absl::string_view bytes, absl::string_view id, Article* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored article ", ArticleName(id), " is unreadable"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ArticleName(absl::string_view article_id) { return absl::StrCat("articles/", article_id); }

ArticleStore::ArticleStore(kv::Database* db, Clock* clock, ArticleStoreOptions options)
    : db_(db), clock_(clock), options_(options) {}

absl::StatusOr<Article> ArticleStore::Load(const std::string& article_id,
                                           const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kRecordsCf, RecordKey(article_id), snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(ArticleName(article_id), " not found"));
  Article article;
  if (auto st = ParseRecord(**value, article_id, &article); !st.ok()) return st;
  return article;
}

absl::StatusOr<Article> ArticleStore::Get(const std::string& article_id) const {
  return Load(article_id, nullptr);
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
    auto taken = db_->Get(kIndexesCf, IndexKey(kArticleSlugs, base));
    if (!taken.ok()) return taken.status();
    if (taken->has_value()) {
      // Collect the numeric suffixes in use and take the next one: one
      // bounded scan instead of probing one by one.
      const std::string prefix = IndexKey(kArticleSlugs, absl::StrCat(base, "-"));
      int next = 2;
      auto it = db_->Scan(kIndexesCf, prefix, kv::PrefixSuccessor(prefix));
      for (; it->Valid(); it->Next()) {
        int n = 0;
        absl::string_view digits = it->key().substr(prefix.size());
        if (absl::SimpleAtoi(digits, &n) && n >= next && n < 1000000000) next = n + 1;
      }
      if (auto st = it->status(); !st.ok()) return st;
      candidate = SlugCandidate(base, next);
    }
    guards->candidate = slug_locks_.Lock({candidate});
    auto again = db_->Get(kIndexesCf, IndexKey(kArticleSlugs, candidate));
    if (!again.ok()) return again.status();
    if (!again->has_value()) return candidate;
    guards->candidate = slug_locks_.Lock({});
  }
  return absl::AbortedError("could not allocate a unique slug under contention; retry");
}

absl::StatusOr<Article> ArticleStore::Create(const Article& input, std::string article_id,
                                             const std::string& request_id) {
  const bool generated = article_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generated) article_id = NewArticleId();
    std::vector<absl::string_view> keys = {article_id};
    const std::string req_lock = absl::StrCat("request:", request_id);
    if (!request_id.empty()) keys.push_back(req_lock);
    kv::KeyLocks::Guard guard = record_locks_.Lock(keys);

    const absl::Time now = clock_->Now();
    if (!request_id.empty()) {
      auto seen = db_->Get(kRequestIdsCf, RequestKey(request_id));
      if (!seen.ok()) return seen.status();
      if (seen->has_value()) {
        if (auto payload = kv::DecodeExpiring(**seen, now); payload.has_value()) {
          Article first;
          if (!first.ParseFromArray(payload->data(), static_cast<int>(payload->size()))) {
            return absl::DataLossError(absl::StrCat("stored response for request_id ", request_id, " is unreadable"));
          }
          return first;
        }
      }
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
    ToProtoTime(now, article.mutable_update_time());
    article.clear_delete_time();
    article.set_etag(NewEtag());

    const std::string record = article.SerializeAsString();
    const std::string order = OrderSuffix(article);
    kv::WriteBatch batch(*db_);
    batch.Put(kRecordsCf, RecordKey(article_id), record);
    batch.Put(kIndexesCf, IndexKey(kArticlesLiveByCreate, order), "");
    batch.Put(kIndexesCf, IndexKey(kArticlesAllByCreate, order), "");
    batch.Put(kIndexesCf, IndexKey(kArticleSlugs, *slug), article_id);
    if (!request_id.empty()) {
      batch.Put(kRequestIdsCf, RequestKey(request_id),
                kv::EncodeExpiring(now + options_.request_id_retention, record));
    }
    if (auto st = db_->Write(batch); !st.ok()) return st;
    return article;
  }
}

absl::StatusOr<ArticlePage> ArticleStore::List(bool show_deleted, int page_size,
                                               const std::string& cursor) const {
  const char prefix_byte = show_deleted ? kArticlesAllByCreate : kArticlesLiveByCreate;
  const std::string prefix(1, prefix_byte);
  if (!cursor.empty()) {
    // A cursor is an order suffix: 8 bytes of time, then an article id.
    const bool ok = cursor.size() > 8 && cursor.size() <= 8 + 63 &&
                    std::all_of(cursor.begin() + 8, cursor.end(), IsIdChar);
    if (!ok) return absl::InvalidArgumentError("page_token does not point into the articles collection");
  }
  auto snapshot = db_->GetSnapshot();
  auto it = db_->Scan(kIndexesCf, prefix, kv::PrefixSuccessor(prefix), snapshot.get());
  const std::string start = prefix + cursor;
  if (!cursor.empty()) {
    it->Seek(start);
    if (it->Valid() && it->key() == start) it->Next();
  }
  ArticlePage page;
  std::string last_suffix;
  for (; it->Valid(); it->Next()) {
    absl::string_view suffix = it->key().substr(1);
    if (static_cast<int>(page.articles.size()) == page_size) {
      page.next_cursor = last_suffix;  // more items follow this page
      break;
    }
    const std::string id(suffix.substr(8));
    auto article = Load(id, snapshot.get());
    if (!article.ok()) return article.status();
    page.articles.push_back(*std::move(article));
    last_suffix.assign(suffix.data(), suffix.size());
  }
  if (auto st = it->status(); !st.ok()) return st;
  return page;
}

absl::StatusOr<Article> ArticleStore::Update(const std::string& article_id, const Article& patch,
                                             const std::vector<std::string>& paths,
                                             const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  Article article = *std::move(current);
  if (article.state() == Article::STATE_DELETED) {
    return absl::FailedPreconditionError(
        absl::StrCat(article.name(), " is deleted (state STATE_DELETED); undelete it before updating"));
  }
  if (!etag.empty() && etag != article.etag()) {
    return absl::AbortedError(absl::StrCat("etag of ", article.name(), " does not match: it changed since it was read"));
  }
  for (const auto& path : paths) {
    if (path == "title") article.set_title(patch.title());
    else if (path == "lead") article.set_lead(patch.lead());
    else if (path == "body") article.set_body(patch.body());
    else if (path == "language") article.set_language(patch.language());
    else if (path == "authors") *article.mutable_authors() = patch.authors();
    else if (path == "tags") *article.mutable_tags() = patch.tags();
    else if (path == "gallery") article.set_gallery(patch.gallery());
    else return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is not a writable field"));
  }
  ToProtoTime(clock_->Now(), article.mutable_update_time());
  article.set_etag(NewEtag());
  kv::WriteBatch batch(*db_);
  batch.Put(kRecordsCf, RecordKey(article_id), article.SerializeAsString());
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return article;
}

absl::StatusOr<Article> ArticleStore::Delete(const std::string& article_id, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  Article article = *std::move(current);
  if (article.state() == Article::STATE_DELETED) {
    return absl::NotFoundError(absl::StrCat(article.name(), " is already deleted"));
  }
  if (!etag.empty() && etag != article.etag()) {
    return absl::AbortedError(absl::StrCat("etag of ", article.name(), " does not match: it changed since it was read"));
  }
  const absl::Time now = clock_->Now();
  article.set_state(Article::STATE_DELETED);
  ToProtoTime(now, article.mutable_delete_time());
  ToProtoTime(now, article.mutable_update_time());
  article.set_etag(NewEtag());
  kv::WriteBatch batch(*db_);
  batch.Put(kRecordsCf, RecordKey(article_id), article.SerializeAsString());
  batch.Delete(kIndexesCf, IndexKey(kArticlesLiveByCreate, OrderSuffix(article)));
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return article;
}

absl::StatusOr<Article> ArticleStore::Undelete(const std::string& article_id) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({article_id});
  auto current = Load(article_id, nullptr);
  if (!current.ok()) return current.status();
  Article article = *std::move(current);
  if (article.state() != Article::STATE_DELETED) {
    return absl::AlreadyExistsError(absl::StrCat(article.name(), " is not deleted"));
  }
  article.set_state(Article::STATE_DRAFT);
  article.clear_delete_time();
  ToProtoTime(clock_->Now(), article.mutable_update_time());
  article.set_etag(NewEtag());
  kv::WriteBatch batch(*db_);
  batch.Put(kRecordsCf, RecordKey(article_id), article.SerializeAsString());
  batch.Put(kIndexesCf, IndexKey(kArticlesLiveByCreate, OrderSuffix(article)), "");
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return article;
}

}  // namespace newsdesk::content
