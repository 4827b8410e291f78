// The security library on its own: key files, keys.db, the ZAP decision,
// the startup guards, and CURVE with and without a ZAP handler in one
// process (RELIABILITY.md T9 (d): no handler means no way in).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "security/allowlist.h"
#include "security/key_file.h"
#include "security/key_store.h"
#include "security/link_security.h"
#include "security/sessions.h"
#include "security/zap_handler.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace station::test {
namespace {

using namespace std::chrono_literals;
using security::KeyRole;

security::CurveKeyPair NewPair() {
  auto pair = security::NewCurveKeyPair();
  REQUIRE(pair.ok());
  return *pair;
}

unsigned ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("key files: the secret one is 0600 and read back whole, a public one is read from file or text",
          "[security]") {
  TempDir dir;
  const auto pair = NewPair();
  CHECK(security::IsZ85Key(pair.public_key));
  CHECK(security::IsZ85Key(pair.secret_key));
  REQUIRE(security::WriteKeyFiles(dir.Path("PDA-0042"), pair, "gun PDA-0042").ok());
  CHECK(ModeOf(dir.Path("PDA-0042.key_secret")) == 0600);
  CHECK(ModeOf(dir.Path("PDA-0042.key")) == 0644);
  auto back = security::ReadSecretKeyFile(dir.Path("PDA-0042.key_secret"));
  REQUIRE(back.ok());
  CHECK(back->public_key == pair.public_key);
  CHECK(back->secret_key == pair.secret_key);
  auto pub = security::ReadPublicKey(dir.Path("PDA-0042.key"));
  REQUIRE(pub.ok());
  CHECK(*pub == pair.public_key);
  CHECK(*security::ReadPublicKey(pair.public_key) == pair.public_key);
  // Never overwritten: a second pair under the same name is refused.
  Status again = security::WriteKeyFiles(dir.Path("PDA-0042"), NewPair(), "gun PDA-0042");
  CHECK(again.code() == Code::kConflict);
  CHECK(security::ReadSecretKeyFile(dir.Path("PDA-0042.key_secret"))->secret_key == pair.secret_key);
}

TEST_CASE("a secret key file readable by others, or not matching its public key, is refused", "[security]") {
  TempDir dir;
  const auto pair = NewPair();
  REQUIRE(security::WriteKeyFiles(dir.Path("st"), pair, "station 571001").ok());
  REQUIRE(::chmod(dir.Path("st.key_secret").c_str(), 0640) == 0);
  auto loose = security::ReadSecretKeyFile(dir.Path("st.key_secret"));
  REQUIRE_FALSE(loose.ok());
  CHECK_THAT(loose.status().message(), Catch::Contains("readable by group or others") && Catch::Contains("0640"));
  REQUIRE(::chmod(dir.Path("st.key_secret").c_str(), 0600) == 0);
  CHECK(security::ReadSecretKeyFile(dir.Path("st.key_secret")).ok());

  // A public-key line that belongs to another secret key.
  {
    std::ofstream out(dir.Path("mixed.key_secret"));
    out << "public-key = \"" << NewPair().public_key << "\"\nsecret-key = \"" << pair.secret_key << "\"\n";
  }
  REQUIRE(::chmod(dir.Path("mixed.key_secret").c_str(), 0600) == 0);
  auto mixed = security::ReadSecretKeyFile(dir.Path("mixed.key_secret"));
  REQUIRE_FALSE(mixed.ok());
  CHECK_THAT(mixed.status().message(), Catch::Contains("does not belong"));

  CHECK_FALSE(security::ReadPublicKey("not-a-key").ok());
  CHECK_FALSE(security::ReadPublicKey(dir.Path("missing.key")).ok());
  CHECK_FALSE(security::IsZ85Key(pair.public_key.substr(1)));
  CHECK_FALSE(security::IsZ85Key(std::string(40, '"')));
}

TEST_CASE("LoadOrCreateKeyPair makes a daemon's pair once and keeps it", "[security]") {
  TempDir dir;
  bool created = false;
  auto first = security::LoadOrCreateKeyPair(dir.Path("keys"), "station", "station 571001", &created);
  REQUIRE(first.ok());
  CHECK(created);
  CHECK(ModeOf(dir.Path("keys")) == 0700);
  auto second = security::LoadOrCreateKeyPair(dir.Path("keys"), "station", "station 571001", &created);
  REQUIRE(second.ok());
  CHECK_FALSE(created);
  CHECK(second->secret_key == first->secret_key);
  REQUIRE(::chmod(dir.Path("keys/station.key_secret").c_str(), 0644) == 0);
  CHECK_FALSE(security::LoadOrCreateKeyPair(dir.Path("keys"), "station", "station 571001", &created).ok());
}

TEST_CASE("keys.db: enroll, refuse a second enrollment, revoke by name or key, never take a revoked key back",
          "[security]") {
  TempDir dir;
  auto store = security::KeyStore::Open(dir.Path("keys.db"));
  REQUIRE(store.ok());
  const auto a = NewPair(), b = NewPair(), s = NewPair();
  REQUIRE(store->Enroll(a.public_key, KeyRole::kGun, "PDA-0042", "alice", 1000).ok());
  REQUIRE(store->Enroll(b.public_key, KeyRole::kGun, "PDA-0042", "alice", 2000).ok());  // rotation
  REQUIRE(store->Enroll(s.public_key, KeyRole::kStation, "310001", "bob", 3000).ok());
  CHECK(store->Enroll(a.public_key, KeyRole::kGun, "PDA-0099", "alice", 4000).code() == Code::kConflict);
  CHECK(store->Enroll(NewPair().public_key, KeyRole::kStation, "31000X", "bob", 4000).code() ==
        Code::kInvalidArgument);
  CHECK(store->Enroll(NewPair().public_key, KeyRole::kGun, "PDA 0042", "bob", 4000).code() ==
        Code::kInvalidArgument);
  CHECK(store->Enroll("short", KeyRole::kGun, "PDA-0042", "bob", 4000).code() == Code::kInvalidArgument);

  auto one = store->Revoke(a.public_key, "carol", 5000);  // by key: only that one
  REQUIRE(one.ok());
  CHECK(*one == 1);
  auto listed = store->List();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 3);
  int active = 0;
  for (const auto& k : *listed) {
    active += k.active() ? 1 : 0;
    if (k.public_key == a.public_key) {
      CHECK(k.revoked_ms == 5000);
      CHECK(k.revoked_by == "carol");
    }
  }
  CHECK(active == 2);
  Status back = store->Enroll(a.public_key, KeyRole::kGun, "PDA-0042", "alice", 6000);
  CHECK(back.code() == Code::kConflict);
  CHECK_THAT(back.message(), Catch::Contains("revoked"));
  auto by_name = store->Revoke("PDA-0042", "carol", 7000);
  REQUIRE(by_name.ok());
  CHECK(*by_name == 1);
  CHECK(store->Revoke("PDA-0042", "carol", 8000).status().code() == Code::kNotFound);
}

TEST_CASE("keys.db's version moves when another connection commits", "[security]") {
  TempDir dir;
  auto reader = security::KeyStore::Open(dir.Path("keys.db"));
  auto writer = security::KeyStore::Open(dir.Path("keys.db"));
  REQUIRE(reader.ok());
  REQUIRE(writer.ok());
  auto before = reader->Version();
  REQUIRE(before.ok());
  CHECK(*reader->Version() == *before);
  REQUIRE(writer->Enroll(NewPair().public_key, KeyRole::kGun, "PDA-1", "t", 1).ok());
  CHECK(*reader->Version() != *before);
}

TEST_CASE("the ZAP decision: only an active key of the domain's role gets in, as its enrolled name", "[security]") {
  const auto gun = NewPair(), old_gun = NewPair(), station = NewPair();
  std::vector<security::EnrolledKey> keys(3);
  keys[0].public_key = gun.public_key;
  keys[0].name = "PDA-0042";
  keys[1].public_key = old_gun.public_key;
  keys[1].name = "PDA-0042";
  keys[1].revoked_ms = 5;
  keys[1].revoked_by = "carol";
  keys[2].public_key = station.public_key;
  keys[2].role = KeyRole::kStation;
  keys[2].name = "310001";
  const security::Allowlist list(keys);

  auto in = list.Decide(security::kGunDomain, "CURVE", gun.public_key);
  CHECK(in.allowed);
  CHECK(in.user_id == "PDA-0042");
  auto revoked = list.Decide(security::kGunDomain, "CURVE", old_gun.public_key);
  CHECK_FALSE(revoked.allowed);
  CHECK_THAT(revoked.why, Catch::Contains("revoked by carol"));
  auto unknown = list.Decide(security::kGunDomain, "CURVE", NewPair().public_key);
  CHECK_FALSE(unknown.allowed);
  CHECK_THAT(unknown.why, Catch::Contains("not enrolled"));
  // A station's key does not open the dock port, nor a gun's national's.
  CHECK_FALSE(list.Decide(security::kGunDomain, "CURVE", station.public_key).allowed);
  CHECK_FALSE(list.Decide(security::kStationDomain, "CURVE", gun.public_key).allowed);
  CHECK(list.Decide(security::kStationDomain, "CURVE", station.public_key).user_id == "310001");
  CHECK_FALSE(list.Decide(security::kGunDomain, "NULL", "").allowed);
  CHECK_FALSE(list.Decide("other", "CURVE", gun.public_key).allowed);
  CHECK(list.IsActive(KeyRole::kGun, "PDA-0042"));
  CHECK_FALSE(list.IsActive(KeyRole::kStation, "PDA-0042"));
  CHECK(list.IsKeyActive(KeyRole::kGun, gun.public_key));
  CHECK_FALSE(list.IsKeyActive(KeyRole::kGun, old_gun.public_key));  // revoked; the name has another key
  CHECK_FALSE(list.IsKeyActive(KeyRole::kStation, gun.public_key));

  // Revoking the last active key of a name loses it; a rotation's new key keeps it active.
  keys[0].revoked_ms = 9;
  const security::Allowlist after(keys);
  auto lost = list.LostKeys(after);
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].name == "PDA-0042");
  CHECK(lost[0].key == gun.public_key);
  CHECK_FALSE(after.IsActive(KeyRole::kGun, "PDA-0042"));
  CHECK(after.LostKeys(list).empty());
}

TEST_CASE("startup guards: libzmq older than 4.3.4 or without CURVE is refused, and --insecure only on loopback",
          "[security]") {
  CHECK(security::CheckLibzmqForCurve(4, 3, 4, true).ok());
  CHECK(security::CheckLibzmqForCurve(4, 4, 0, true).ok());
  CHECK_THAT(security::CheckLibzmqForCurve(4, 3, 3, true).message(), Catch::Contains("older than 4.3.4"));
  CHECK_THAT(security::CheckLibzmqForCurve(4, 2, 9, true).message(), Catch::Contains("older than 4.3.4"));
  CHECK_THAT(security::CheckLibzmqForCurve(4, 3, 4, false).message(), Catch::Contains("without CURVE"));
  CHECK(security::CheckLibzmqForCurve().ok());  // the libzmq this test runs with (Debian 12: 4.3.4)
  CHECK(security::CheckLoopbackOnly("tcp://127.0.0.1:7701", "--ingest").ok());
  CHECK(security::CheckLoopbackOnly("tcp://localhost:*", "--ingest").ok());
  CHECK(security::CheckLoopbackOnly("ipc:///tmp/x.sock", "--ingest").ok());
  CHECK_FALSE(security::CheckLoopbackOnly("tcp://0.0.0.0:7701", "--ingest").ok());
  CHECK_FALSE(security::CheckLoopbackOnly("tcp://192.168.1.5:7701", "--ingest").ok());
  CHECK_FALSE(security::CheckLoopbackOnly("tcp://127.0.0.1.evil.example:7701", "--ingest").ok());
}

namespace {

// A CURVE server ROUTER on loopback and the endpoint it bound.
struct CurveServer {
  zmq::socket_t socket;
  std::string endpoint;
};

CurveServer BindCurveServer(zmq::context_t& context, const security::CurveKeyPair& server) {
  CurveServer s{zmq::socket_t(context, zmq::socket_type::router), ""};
  s.socket.set(zmq::sockopt::linger, 0);
  security::ApplyServerSecurity(s.socket, {true, server.secret_key, security::kGunDomain});
  s.socket.bind("tcp://127.0.0.1:*");
  s.endpoint = s.socket.get(zmq::sockopt::last_endpoint);
  return s;
}

zmq::socket_t ConnectClient(zmq::context_t& context, const std::string& endpoint, const std::string& server_key,
                            const security::CurveKeyPair& own) {
  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  security::ApplyClientSecurity(client, {true, server_key, own});
  client.connect(endpoint);
  return client;
}

// The User-Id of the next message the server gets within `timeout`, or "(none)".
std::string ReceiveUserId(zmq::socket_t& server, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) <= 0) return "(none)";
  zmq::message_t id, body;
  (void)server.recv(id);
  (void)server.recv(body);
  return security::UserIdOf(body) + " " + security::ClientKeyOf(body);
}

}  // namespace

TEST_CASE("CURVE with ZAP enforced and no handler running lets nobody in (T9 d)", "[security]") {
  zmq::context_t context(1);
  const auto server_pair = NewPair(), client_pair = NewPair();
  auto server = BindCurveServer(context, server_pair);
  auto client = ConnectClient(context, server.endpoint, server_pair.public_key, client_pair);
  client.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
  CHECK(ReceiveUserId(server.socket, 1500ms) == "(none)");
}

TEST_CASE("the ZAP handler lets an enrolled key in as its name, and a revocation reaches it within a second",
          "[security]") {
  TempDir dir;
  const auto server_pair = NewPair(), gun = NewPair(), stranger = NewPair();
  {
    auto store = security::KeyStore::Open(dir.Path("keys.db"));
    REQUIRE(store.ok());
    REQUIRE(store->Enroll(gun.public_key, KeyRole::kGun, "PDA-0042", "test", 1).ok());
  }
  zmq::context_t context(1);
  std::mutex mutex;
  std::set<std::string> lost;
  auto zap = security::ZapHandler::Start(context, dir.Path("keys.db"),
                                         [&](const std::string& name, const std::string& key,
                                             const std::vector<std::string>& admitted_from) {
                                           std::lock_guard<std::mutex> lock(mutex);
                                           lost.insert(name + " " + key);
                                           for (const std::string& a : admitted_from) lost.insert("from " + a);
                                         });
  REQUIRE(zap.ok());
  auto server = BindCurveServer(context, server_pair);
  auto good = ConnectClient(context, server.endpoint, server_pair.public_key, gun);
  good.send(zmq::str_buffer("hello"), zmq::send_flags::none);
  CHECK(ReceiveUserId(server.socket, 3000ms) == "PDA-0042 " + gun.public_key);
  auto bad = ConnectClient(context, server.endpoint, server_pair.public_key, stranger);
  bad.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);
  CHECK(ReceiveUserId(server.socket, 1000ms) == "(none)");

  auto writer = security::KeyStore::Open(dir.Path("keys.db"));
  REQUIRE(writer.ok());
  REQUIRE(writer->Revoke("PDA-0042", "test", 2).ok());
  CHECK(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return lost.count("PDA-0042 " + gun.public_key) == 1;
      },
      2000ms));
  CHECK_FALSE((*zap)->Current()->IsActive(KeyRole::kGun, "PDA-0042"));
  {
    // Where the key was let in from, for its connections not yet named.
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(lost.count("from 127.0.0.1") == 1);
  }
  bad.close();
  good.close();
  server.socket.close();
  zap->reset();
}

namespace {

// A TCP connection on loopback: the server's accepted descriptor and the client's.
struct LoopbackPair {
  int listener = -1, server = -1, client = -1;
  LoopbackPair() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    server = ::accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
    timeval tv{2, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~LoopbackPair() {
    ::close(client);
    ::close(server);
    ::close(listener);
  }
  // True when the server side was shut down: the client reads end of file.
  bool ClientSeesEnd() const {
    char c;
    return ::recv(client, &c, 1, 0) == 0;
  }
};

}  // namespace

TEST_CASE("sessions: a revocation closes the key's connections and the unnamed ones from its addresses",
          "[security]") {
  security::SessionTracker sessions;
  LoopbackPair named, unnamed, other;
  sessions.Seen("KEY-A", named.server);
  sessions.Accepted(named.server);  // a late ACCEPTED event keeps the name
  sessions.Accepted(unnamed.server);
  sessions.Seen("KEY-B", other.server);
  CHECK(sessions.CloseUnnamed({}) == 0);
  CHECK(sessions.CloseUnnamed({"10.1.2.3"}) == 0);  // not from where the key came
  CHECK(sessions.Close("KEY-A") == 1);
  CHECK(named.ClientSeesEnd());
  CHECK(sessions.CloseUnnamed({"127.0.0.1"}) == 1);  // the idle one, never KEY-B's
  CHECK(unnamed.ClientSeesEnd());
  sessions.Gone(other.server);
  CHECK(sessions.Close("KEY-B") == 0);  // forgotten once gone
}

}  // namespace station::test
