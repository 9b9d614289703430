// bench-grpc-body: writes a pre-encoded gRPC request body for h2load: the
// 5-byte length-prefixed message frame (flag 0 = uncompressed, 4-byte
// big-endian length) followed by the serialized request.
//
//   bench-grpc-body --method=get --id=a0000012345 --out=/tmp/get.bin
//   h2load -n 100000 -c 16 -m 32 -d /tmp/get.bin
//       -H 'content-type: application/grpc' -H 'te: trailers'
//       http://127.0.0.1:PORT/newsdesk.content.v1.ContentService/GetArticle
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "newsdesk/content/v1/content_service.pb.h"

ABSL_FLAG(std::string, method, "get", "get (GetArticle) | list (ListArticles, 50 per page)");
ABSL_FLAG(std::string, id, "a0000000000", "get: the article id");
ABSL_FLAG(std::string, out, "", "Output file");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string message;
  if (absl::GetFlag(FLAGS_method) == "get") {
    newsdesk::content::v1::GetArticleRequest r;
    r.set_name(absl::StrCat("articles/", absl::GetFlag(FLAGS_id)));
    message = r.SerializeAsString();
  } else if (absl::GetFlag(FLAGS_method) == "list") {
    newsdesk::content::v1::ListArticlesRequest r;
    r.set_page_size(50);
    message = r.SerializeAsString();
  } else {
    std::fprintf(stderr, "unknown --method\n");
    return 2;
  }
  std::string frame(5, '\0');
  const uint32_t n = static_cast<uint32_t>(message.size());
  frame[1] = static_cast<char>(n >> 24);
  frame[2] = static_cast<char>(n >> 16);
  frame[3] = static_cast<char>(n >> 8);
  frame[4] = static_cast<char>(n);
  frame += message;
  std::ofstream(absl::GetFlag(FLAGS_out), std::ios::binary) << frame;
  return 0;
}
