#include "services/content/photo_streams.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/decode_errors.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/content/media_validation.h"
#include "storage/content/schema.h"

namespace newsdesk::content {
namespace {

absl::Status OverLimit(int64_t bytes, int64_t limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("photo: ", bytes, " bytes is more than the ", limit, " bytes an upload may carry"));
}

// UploadPhoto: parses each message of the stream itself (a message that
// does not decode fails the upload instead of ending it early), feeds it to
// an UploadAssembler, then stores the photo from the work queue.
class UploadPhotoReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadPhotoReactor(const MediaBackend& backend, grpc::CallbackServerContext* context, grpc::ByteBuffer* response)
      : backend_(backend),
        context_(context),
        response_(response),
        assembler_(backend.options.max_photo_bytes),
        start_(absl::Now()) {
    StartRead(&buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed, or the call broke (then the commit below
      // sees it cancelled, and a cut-off image fails to decode anyway).
      if (auto st = assembler_.Finish(); !st.ok()) return Finish(ToGrpcStatus(st));
      backend_.work->Schedule([this] { Store(); });
      return;
    }
    ++messages_;
    request_.Clear();
    (void)TakeInvalidUtf8Field();
    if (!grpc::SerializationTraits<v1::UploadPhotoRequest>::Deserialize(&buffer_, &request_).ok()) {
      return Finish(ToGrpcStatus(absl::InvalidArgumentError(DecodeFailureMessage(
          absl::StrCat("/newsdesk.content.v1.ContentService/UploadPhoto (message ", messages_, ")"),
          TakeInvalidUtf8Field()))));
    }
    const bool first = !assembler_.has_metadata();
    if (auto st = assembler_.Accept(request_); !st.ok()) return Finish(ToGrpcStatus(st));
    request_.Clear();
    if (first) {
      backend_.work->Schedule([this] { Prepare(); });
      return;
    }
    StartRead(&buffer_);
  }

  void OnDone() override { delete this; }

 private:
  // After the metadata: fail before any bytes flow if the photo cannot be
  // stored, or answer a retried request at once.
  void Prepare() {
    auto replay = backend_.photos->PrepareUpload(assembler_.gallery_id(), assembler_.photo_id(),
                                                 assembler_.request_id());
    if (!replay.ok()) return Finish(ToGrpcStatus(replay.status()));
    if (replay->has_value()) return Respond(**replay);
    StartRead(&buffer_);
  }

  // After the last message: decode, process and store.
  void Store() {
    if (context_->IsCancelled()) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled"));
    const absl::Time received_at = absl::Now();
    const int64_t received = assembler_.received();
    auto processed = media::ProcessPhoto(assembler_.TakeBytes(), backend_.options.processing);
    if (!processed.ok()) return Finish(ToGrpcStatus(processed.status()));
    const absl::Time processed_at = absl::Now();
    const bool rewritten = processed->rewritten;
    const size_t removed = processed->removed_metadata.size();
    auto photo = backend_.photos->Create(assembler_.gallery_id(), assembler_.photo_id(), assembler_.photo(),
                                         assembler_.request_id(), *std::move(processed),
                                         [this] { return !context_->IsCancelled(); });
    if (!photo.ok()) return Finish(ToGrpcStatus(photo.status()));
    const absl::Time stored_at = absl::Now();
    Log(Severity::kInfo, "photo stored",
        {{"photo", photo->name()},
         {"received_bytes", absl::StrCat(received)},
         {"stored_bytes", absl::StrCat(photo->size_bytes())},
         {"rewritten", rewritten ? "true" : "false"},
         {"removed_metadata_fields", absl::StrCat(removed)},
         {"receive_seconds", absl::StrCat(absl::ToDoubleSeconds(received_at - start_))},
         {"process_seconds", absl::StrCat(absl::ToDoubleSeconds(processed_at - received_at))},
         {"store_seconds", absl::StrCat(absl::ToDoubleSeconds(stored_at - processed_at))}});
    Respond(*photo);
  }

  void Respond(const v1::Photo& photo) {
    bool own_buffer = false;
    grpc::Status st = grpc::SerializationTraits<v1::Photo>::Serialize(photo, response_, &own_buffer);
    Finish(st);
  }

  const MediaBackend backend_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer buffer_;
  v1::UploadPhotoRequest request_;
  int messages_ = 0;
  UploadAssembler assembler_;
  const absl::Time start_;
};

// DownloadPhoto: one write in flight; the next chunk is read on the work
// queue while the current one is sent. Reads come from a snapshot taken at
// the start, so a photo deleted meanwhile still downloads whole.
class DownloadPhotoReactor final : public grpc::ServerWriteReactor<v1::DownloadPhotoResponse> {
 public:
  DownloadPhotoReactor(const MediaBackend& backend, grpc::CallbackServerContext* context,
                       v1::DownloadPhotoRequest request, bool public_only)
      : backend_(backend), context_(context), request_(std::move(request)), public_only_(public_only) {
    absl::MutexLock lock(&mu_);
    fetching_ = true;  // Start counts as the first fetch
    backend_.work->Schedule([this] { Start(); });
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) broken_ = true;  // the client is gone
      finish = PumpLocked();
    }
    if (finish) Finish(status_);
  }

  void OnDone() override { delete this; }

 private:
  void Start() {
    absl::Status error = Open();
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      fetching_ = false;
      if (!error.ok()) {
        failed_ = true;
        status_ = ToGrpcStatus(error);
      }
      finish = PumpLocked();
    }
    if (finish) Finish(status_);
  }

  // Loads the photo and queues its metadata message. Runs before any other
  // activity of the call, so it needs no lock for what it sets up.
  absl::Status Open() {
    auto ids = ParsePhotoName("name", request_.name());
    if (!ids.ok()) return ids.status();
    gallery_id_ = ids->first;
    photo_id_ = ids->second;
    snapshot_ = backend_.photos->NewSnapshot();
    if (public_only_) {
      if (auto st = backend_.galleries->CheckPublic(gallery_id_, snapshot_.get()); !st.ok()) {
        // The same answer as for a photo that does not exist.
        return absl::IsNotFound(st) ? absl::NotFoundError(absl::StrCat(request_.name(), " not found")) : st;
      }
    }
    auto photo = backend_.photos->Get(gallery_id_, photo_id_, snapshot_.get());
    if (!photo.ok()) return photo.status();
    auto range = PlanDownload(*photo, request_.rendition(), request_.offset());
    if (!range.ok()) return range.status();
    object_ = range->object.object;
    end_ = range->object.size;
    absl::MutexLock lock(&mu_);
    next_offset_ = range->offset;
    ready_.emplace();
    *ready_->mutable_photo() = *std::move(photo);
    return absl::OkStatus();
  }

  // Reads the bytes from `offset` to the end of its storage chunk.
  void Fetch(int64_t offset) {
    const auto index = static_cast<uint32_t>(offset / static_cast<int64_t>(kPhotoChunkBytes));
    const auto skip = static_cast<size_t>(offset % static_cast<int64_t>(kPhotoChunkBytes));
    auto chunk = backend_.photos->ReadChunk(gallery_id_, photo_id_, object_, index, snapshot_.get());
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      fetching_ = false;
      if (!chunk.ok()) {
        failed_ = true;
        status_ = ToGrpcStatus(chunk.status());
      } else if (chunk->size() <= skip) {
        failed_ = true;
        status_ = ToGrpcStatus(absl::DataLossError(
            absl::StrCat("bytes of ", request_.name(), " are shorter than its recorded size")));
      } else {
        ready_.emplace();
        if (skip == 0) {
          *ready_->mutable_chunk_data() = *std::move(chunk);
        } else {
          ready_->set_chunk_data(chunk->substr(skip));
        }
        next_offset_ += static_cast<int64_t>(ready_->chunk_data().size());
      }
      finish = PumpLocked();
    }
    if (finish) Finish(status_);
  }

  // Starts the next write and the next read when they can start. Returns
  // true (once) when nothing is in flight and nothing is left to do: the
  // caller then finishes the call, outside the lock, since finishing lets
  // gRPC delete this reactor.
  bool PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return false;
    // A cancelled call may still see its last write succeed: without this, no
    // further fetch would start and nothing would ever finish the call.
    if (context_->IsCancelled()) broken_ = true;
    if (broken_) ready_.reset();
    if (!writing_ && ready_.has_value()) {
      out_ = std::move(*ready_);
      ready_.reset();
      writing_ = true;
      StartWrite(&out_);
    }
    if (!fetching_ && !ready_.has_value() && !failed_ && !broken_ && next_offset_ < end_) {
      fetching_ = true;
      const int64_t offset = next_offset_;
      backend_.work->Schedule([this, offset] { Fetch(offset); });
    }
    if (writing_ || fetching_ || ready_.has_value()) return false;
    if (!failed_ && !broken_ && next_offset_ < end_) return false;
    if (broken_ && !failed_) status_ = grpc::Status(grpc::StatusCode::CANCELLED, "download cancelled");
    finished_ = true;
    return true;
  }

  const MediaBackend backend_;
  grpc::CallbackServerContext* const context_;
  const v1::DownloadPhotoRequest request_;
  const bool public_only_;
  // Set by Open before the first write or fetch; read-only afterwards.
  std::string gallery_id_, photo_id_;
  std::unique_ptr<kv::Snapshot> snapshot_;
  char object_ = 0;
  int64_t end_ = 0;

  absl::Mutex mu_;
  std::optional<v1::DownloadPhotoResponse> ready_ ABSL_GUARDED_BY(mu_);  // the next message to write
  v1::DownloadPhotoResponse out_;  // the message being written
  int64_t next_offset_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_;  // written under mu_ before finished_ is set
};

}  // namespace

absl::Status UploadAssembler::AcceptMetadata(const v1::UploadPhotoMetadata& m) {
  auto gallery_id = ParseResourceName("metadata.parent", m.parent(), "galleries");
  if (!gallery_id.ok()) return gallery_id.status();
  if (!m.photo_id().empty()) {
    if (auto st = CheckResourceId("metadata.photo_id", m.photo_id()); !st.ok()) return st;
  }
  if (auto st = CheckRequestId("metadata.request_id", m.request_id()); !st.ok()) return st;
  if (!m.has_photo()) return absl::InvalidArgumentError("metadata.photo: required (at least its alt_text)");
  if (auto st = ValidatePhoto(WritablePhotoFields(), m.photo(), "metadata.photo"); !st.ok()) return st;
  if (m.size_bytes() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("metadata.size_bytes: ", m.size_bytes(), " is negative"));
  }
  if (m.size_bytes() > max_bytes_) return OverLimit(m.size_bytes(), max_bytes_);
  gallery_id_ = *std::move(gallery_id);
  photo_id_ = m.photo_id();
  request_id_ = m.request_id();
  photo_ = m.photo();
  declared_size_ = m.size_bytes();
  has_metadata_ = true;
  return absl::OkStatus();
}

absl::Status UploadAssembler::Accept(v1::UploadPhotoRequest& message) {
  switch (message.content_case()) {
    case v1::UploadPhotoRequest::kMetadata:
      if (has_metadata_) {
        return absl::InvalidArgumentError("metadata: only the first message of an UploadPhoto stream may carry it");
      }
      return AcceptMetadata(message.metadata());
    case v1::UploadPhotoRequest::kChunkData: {
      if (!has_metadata_) {
        return absl::InvalidArgumentError(
            "metadata: required in the first message of an UploadPhoto stream, before any chunk_data");
      }
      const auto size = static_cast<int64_t>(message.chunk_data().size());
      if (static_cast<size_t>(size) > kMaxPhotoChunkBytes) {
        return absl::InvalidArgumentError(absl::StrCat("chunk_data: ", size, " bytes in one message; at most ",
                                                       kMaxPhotoChunkBytes, " allowed"));
      }
      const int64_t total = received() + size;
      if (total > max_bytes_) return OverLimit(total, max_bytes_);
      if (declared_size_ > 0 && total > declared_size_) {
        return absl::InvalidArgumentError(
            absl::StrCat("chunk_data: more bytes than the ", declared_size_, " declared in metadata.size_bytes"));
      }
      bytes_.Append(std::move(*message.mutable_chunk_data()));
      return absl::OkStatus();
    }
    case v1::UploadPhotoRequest::CONTENT_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("UploadPhotoRequest: neither metadata nor chunk_data is set");
}

absl::Status UploadAssembler::Finish() const {
  if (!has_metadata_) return absl::InvalidArgumentError("metadata: the UploadPhoto stream ended without it");
  if (bytes_.empty()) return absl::InvalidArgumentError("chunk_data: the UploadPhoto stream carried no photo bytes");
  if (declared_size_ > 0 && received() != declared_size_) {
    return absl::InvalidArgumentError(absl::StrCat("metadata.size_bytes: ", declared_size_, " bytes declared but ",
                                                   received(), " received"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DownloadRange> PlanDownload(const v1::Photo& photo, absl::string_view rendition, int64_t offset) {
  auto object = PhotoStore::ObjectFor(photo, rendition);
  if (!object.ok()) return object.status();
  if (offset < 0) return absl::InvalidArgumentError(absl::StrCat("offset: ", offset, " is negative"));
  if (offset > object->size) {
    return absl::OutOfRangeError(absl::StrCat("offset: ", offset, " is past the end of the ", object->size,
                                              " bytes of ", photo.name(),
                                              rendition.empty() ? "" : absl::StrCat(" (", rendition, ")")));
  }
  return DownloadRange{*object, offset};
}

grpc::ServerReadReactor<grpc::ByteBuffer>* NewUploadPhotoReactor(const MediaBackend& backend,
                                                                 grpc::CallbackServerContext* context,
                                                                 grpc::ByteBuffer* response) {
  return new UploadPhotoReactor(backend, context, response);
}

grpc::ServerWriteReactor<v1::DownloadPhotoResponse>* NewDownloadPhotoReactor(
    const MediaBackend& backend, grpc::CallbackServerContext* context, const v1::DownloadPhotoRequest& request,
    bool public_only) {
  return new DownloadPhotoReactor(backend, context, request, public_only);
}

}  // namespace newsdesk::content
