// A certificate authority, server and client certificates made with the
// openssl command at test time (nothing committed): for TLS and mTLS tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void Shell(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

// Files in `dir`: ca.key/ca.pem, and for each Issue(name) name.key/name.pem,
// valid for localhost and 127.0.0.1.
class TestCertificates {
 public:
  explicit TestCertificates(const TempDir& dir) : dir_(dir) {}

  // The CA (CN newsdesk-test-ca); call first.
  void MakeCa() {
    Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=newsdesk-test-ca -keyout ",
                       Path("ca.key"), " -out ", Path("ca.pem")));
    std::ofstream(Path("san.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  }

  // A key and a certificate with common name `cn` signed by the CA.
  void Issue(const std::string& name, const std::string& cn) {
    Shell(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj /CN=", cn, " -keyout ", Path(name + ".key"),
                       " -out ", Path(name + ".csr")));
    Shell(absl::StrCat("openssl x509 -req -days 1 -in ", Path(name + ".csr"), " -CA ", Path("ca.pem"), " -CAkey ",
                       Path("ca.key"), " -CAcreateserial -extfile ", Path("san.ext"), " -out ", Path(name + ".pem")));
  }

  // A self-signed key and certificate from no CA the tests trust.
  void SelfSigned(const std::string& name, const std::string& cn) {
    Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=", cn, " -keyout ",
                       Path(name + ".key"), " -out ", Path(name + ".pem")));
  }

  std::string Path(const std::string& file) const { return dir_.Sub(file); }

 private:
  const TempDir& dir_;
};

}  // namespace newsdesk::testing
