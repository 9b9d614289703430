#include "tools/newsdeskctl/ctl.h"

namespace newsdesk::ctl {

std::string HelpText() {
  return R"(newsdeskctl: a command-line client for the newsdesk gRPC services.

Usage: newsdeskctl <verb> [arguments] [flags]

Resources are named as in the API (AIP-122): articles/{id}, events/{id},
galleries/{id}, galleries/{id}/photos/{id}. Which service and method serve a
collection is read from the protobuf descriptors compiled into newsdeskctl
(`newsdeskctl resources` lists them). JSON in and out uses protobuf's JSON
mapping; output is one JSON object per line.

Verbs:
  get <name>                        Get<Type>{name}
  list <collection> [--filter F] [--order_by O] [--page_size N] [--page_token T]
       [--show_deleted] [--all]     List<Collection>: one item per line; without
                                    --all, a next page's token goes to stderr as
                                    {"nextPageToken": "..."}. A nested collection
                                    is galleries/{id}/photos.
  create <type> [json|@file|-] [--id ID] [--parent NAME]
                                    Create<Type>{<type>: json, <type>_id: ID}
                                    (<type> is e.g. article, or a collection path
                                    such as galleries/g/photos for the parent)
  update <name> [json|@file|-] [--update_mask a,b] [--etag E]
                                    Update<Type>{<type>: json + name, update_mask}
  delete <name> [--etag E]          Delete<Type>{name, etag}
  <verb> <name> [--etag E]          any custom method <Verb><Type>{name}, e.g.
                                    `publish articles/x`, `undelete articles/x`
  export <collection> [--filter F]  every item, deleted ones included, as JSON
                                    lines, oldest first (all pages)
  import <collection> [file|-] [--skip_existing] [--restore_state=false]
                                    JSON lines (an export) → Create<Type> with the
                                    id from each item's name; then the item's
                                    lifecycle state is restored with the custom
                                    method for it (STATE_PUBLISHED → Publish<Type>,
                                    STATE_DELETED → Delete<Type>, ...). Stops at
                                    the first error, naming the line.
  upload <parent> <file> --alt_text T [--caption C] [--content_type M] [--id ID]
       [--metadata json] [--chunk_size N] [--method S/M]
                                    the client-streaming Upload* method: a first
                                    message with the parent and metadata, then the
                                    file in chunks of at most 1 MiB
  download <name> <file|-> [--rendition R] [--method S/M]
                                    the server-streaming Download* method; prints
                                    the metadata (the first message without data)
  call <Service>/<Method> [json|@file|-]
                                    any method; client-streaming methods read one
                                    request per line; streamed responses print one
                                    per line
  methods                           every method newsdeskctl knows
  resources                         every resource: collection, type, service

Common to verbs that send a request:
  --request json|@file              JSON merged into the request message last
  --proto_names                     print field names as in the .proto (page_size)
                                    instead of JSON names (pageSize)
  --emit_defaults                   print fields that have their default value

Connection:
  --target HOST:PORT                every service (default: content, admin and
                                    anything else 127.0.0.1:50051, events
                                    127.0.0.1:50052)
  --content_target, --events_target per service (env NEWSDESK_CONTENT_TARGET,
                                    NEWSDESK_EVENTS_TARGET)
  --token T | --token_file PATH     bearer token (env NEWSDESK_TOKEN); sent as
                                    `authorization: Bearer T`. Prefer the file or
                                    the environment: arguments show in `ps`.
  --tls                             TLS with the system's roots
  --tls_ca_file PATH                TLS with this CA (PEM)
  --tls_cert_file, --tls_key_file   a client certificate and key (mTLS)
  --tls_server_name NAME            the name expected in the server's certificate
  --timeout D                       deadline of each call (30s; 500ms, 2m, plain
                                    seconds, or none for long streams such as
                                    Watch* methods). An upload or download is one
                                    call: raise it for big files on slow links.

Exit codes:
  0        OK
  1..16    the gRPC status code of the failed call (3 INVALID_ARGUMENT, also for
           malformed JSON input; 4 DEADLINE_EXCEEDED; 5 NOT_FOUND;
           6 ALREADY_EXISTS; 7 PERMISSION_DENIED; 9 FAILED_PRECONDITION;
           10 ABORTED (stale etag); 12 UNIMPLEMENTED; 14 UNAVAILABLE;
           16 UNAUTHENTICATED; ...)
  64       usage (EX_USAGE): a command-line mistake (unknown verb, flag, collection or
           method, missing argument)
  66       an input file cannot be read
  73       an output file cannot be written
Errors are printed on stderr as one JSON line: {"code": "NOT_FOUND", "message":
"..."} (with "line": N for import and streamed input).

Examples:
  export NEWSDESK_TOKEN=$(cat var/dev-editor-token)
  newsdeskctl create article '{"title": "Zażółć gęślą jaźń"}' --id zazolc
  newsdeskctl get articles/zazolc
  newsdeskctl list articles --filter 'state = PUBLISHED' --all
  newsdeskctl update articles/zazolc '{"lead": "Nowy lead"}' --update_mask lead
  newsdeskctl publish articles/zazolc
  newsdeskctl export articles > articles.jsonl
  newsdeskctl import articles articles.jsonl --target other-host:50051
)";
}

}  // namespace newsdesk::ctl
