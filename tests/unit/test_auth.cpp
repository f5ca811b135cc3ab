// auth/: the key file parser (good files, every kind of bad line with its line number), SHA-256 and the
// constant-time digest comparison, the Bearer header, KeyStore's verdicts and its swap under concurrent readers,
// the reloader (content change, SIGHUP-style forced reload, a malformed file keeps the old keys), and the bounds
// of the brute-force table.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/digest.hpp"
#include "auth/failure_throttle.hpp"
#include "auth/key_file.hpp"
#include "auth/key_file_reloader.hpp"
#include "auth/key_store.hpp"
#include "disk/file_system.hpp"
#include "ledger/limits.hpp"

namespace tally::auth {
namespace {

using Verdict = Admission::Verdict;

std::string hex_of(const std::string& secret) { return to_hex(sha256(secret)); }

TEST(Digest, Sha256KnownAnswers) {
  // FIPS 180-2 examples.
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HexRoundTripsAndRefusesTheRest) {
  const Digest d = sha256("secret");
  EXPECT_EQ(digest_from_hex(to_hex(d)), d);
  std::string upper = to_hex(d);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(digest_from_hex(upper), d);
  EXPECT_FALSE(digest_from_hex(to_hex(d).substr(1)));
  EXPECT_FALSE(digest_from_hex(to_hex(d) + "0"));
  EXPECT_FALSE(digest_from_hex(std::string(63, 'a') + "g"));
}

TEST(Digest, ConstantTimeEqualityFindsADifferenceAnywhere) {
  const Digest a = sha256("one");
  EXPECT_TRUE(digests_equal(a, a));
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (const std::uint8_t bit : {0x01, 0x80}) {
      Digest b = a;
      b[i] ^= bit;
      EXPECT_FALSE(digests_equal(a, b)) << "byte " << i;
      EXPECT_FALSE(digests_equal(b, a)) << "byte " << i;
    }
  }
  EXPECT_FALSE(digests_equal(a, sha256("two")));
}

TEST(Digest, SecretsAreEqualOnlyWhenEveryByteIs) {
  // Every length from empty to past five words, so the overlapping last word and the short-secret loop are both
  // checked, and a one-bit difference at every byte, first and last included.
  for (std::size_t length = 0; length <= 44; ++length) {
    std::string a;
    for (std::size_t i = 0; i < length; ++i) a.push_back(static_cast<char>('A' + i % 50));
    EXPECT_TRUE(secrets_equal(a, std::string(a))) << length;
    for (std::size_t i = 0; i < length; ++i) {
      for (const char bit : {'\x01', '\x40'}) {
        std::string b = a;
        b[i] = static_cast<char>(b[i] ^ bit);
        EXPECT_FALSE(secrets_equal(a, b)) << "length " << length << " byte " << i;
        EXPECT_FALSE(secrets_equal(b, a)) << "length " << length << " byte " << i;
      }
    }
    EXPECT_FALSE(secrets_equal(a, a + "A")) << length;
    if (length > 0) {
      EXPECT_FALSE(secrets_equal(a, a.substr(1))) << length;
    }
  }
}

const std::string billing_hex = hex_of("billing-secret");
const std::string ads_hex = hex_of("ads-secret");

TEST(KeyFile, ParsesEntriesCommentsBlankLinesAndCrlf) {
  const std::string text = "# Tally keys\n\n  billing   read,write\t" + billing_hex + "  \r\n" +
                           "   # indented comment\n" + "ads.engine-1 read,events " + ads_hex;  // no final newline
  const KeyFile file = parse_key_file(text);
  ASSERT_TRUE(file.ok()) << file.describe_error();
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].name, "billing");
  EXPECT_TRUE(file.entries[0].scopes.has(Scope::read));
  EXPECT_TRUE(file.entries[0].scopes.has(Scope::write));
  EXPECT_FALSE(file.entries[0].scopes.has(Scope::events));
  EXPECT_FALSE(file.entries[0].scopes.has(Scope::peer));
  EXPECT_EQ(to_hex(file.entries[0].digest), billing_hex);
  EXPECT_EQ(file.entries[1].name, "ads.engine-1");
  EXPECT_TRUE(file.entries[1].scopes.has(Scope::events));
  EXPECT_TRUE(parse_key_file("").ok());
  EXPECT_TRUE(parse_key_file("# only a comment\n").ok());
}

struct BadLine {
  std::string text;
  std::size_t line;
  std::string says;
};

TEST(KeyFile, RefusesTheWholeFileNamingTheFirstBadLine) {
  const std::string good = "billing read " + billing_hex + "\n";
  const std::vector<BadLine> cases = {
      {"billing read\n", 1, "expected 3 fields"},
      {good + "# c\nads read " + ads_hex + " extra\n", 3, "expected 3 fields"},
      {"bill ing read " + billing_hex + "\n", 1, "expected 3 fields"},
      {"bill:ing read " + billing_hex + "\n", 1, "name 'bill:ing'"},
      {std::string(limits::client_name_bytes_max + 1, 'n') + " read " + billing_hex + "\n", 1, "name"},
      {"caf\xC3\xA9 read " + billing_hex + "\n", 1, "name"},
      {"billing admin " + billing_hex + "\n", 1, "unknown scope 'admin'"},
      {"billing open " + billing_hex + "\n", 1, "unknown scope 'open'"},
      {"billing read,,write " + billing_hex + "\n", 1, "unknown scope ''"},
      {"billing read, " + billing_hex + "\n", 1, "unknown scope ''"},
      {"billing READ " + billing_hex + "\n", 1, "unknown scope"},
      {"billing read,read " + billing_hex + "\n", 1, "listed twice"},
      {"billing read " + billing_hex.substr(1) + "\n", 1, "SHA-256"},
      {"billing read " + billing_hex.substr(1) + "x\n", 1, "SHA-256"},
      {good + "billing write " + ads_hex + "\n", 2, "'billing' is listed twice"},
      {good + "ads write " + billing_hex + "\n", 2, "same secret digest"},
  };
  for (const BadLine& c : cases) {
    const KeyFile file = parse_key_file(c.text);
    EXPECT_FALSE(file.ok()) << c.text;
    EXPECT_TRUE(file.entries.empty()) << "nothing of a refused file is kept: " << c.text;
    EXPECT_EQ(file.error_line, c.line) << c.text;
    EXPECT_NE(file.describe_error().find("line " + std::to_string(c.line) + ": "), std::string::npos);
    EXPECT_NE(file.error.find(c.says), std::string::npos) << file.error << " (wanted " << c.says << ")";
  }
}

TEST(KeyFile, AnErrorNeverQuotesADigestOrSecret) {
  // Columns swapped: the digest lands in the scope column, a secret in the name column.
  for (const std::string& text : {"billing " + billing_hex + " read\n", "billing read,x" + billing_hex + " " +
                                                                            billing_hex + "\n",
                                  "tally_s3cr3t/value+more read " + billing_hex + "\n"}) {
    const KeyFile file = parse_key_file(text);
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.error.find(billing_hex.substr(0, 16)), std::string::npos) << file.error;
    EXPECT_EQ(file.error.find("s3cr3t/value"), std::string::npos) << file.error;
  }
}

TEST(KeyFile, RefusesAFileOverItsSize) {
  const KeyFile file = parse_key_file(std::string(limits::auth_key_file_bytes_max + 1, '#'));
  EXPECT_FALSE(file.ok());
  EXPECT_EQ(file.error_line, 0u);
}

TEST(KeyFile, TheLineNewKeyPrintsParsesBack) {
  ScopeSet scopes;
  std::string why;
  ASSERT_TRUE(parse_scope_list("write,read,peer", scopes, why)) << why;
  const std::string line = key_file_line("billing", scopes, sha256("s"));
  EXPECT_EQ(line, "billing read,write,peer " + hex_of("s"));
  const KeyFile file = parse_key_file(line + "\n");
  ASSERT_TRUE(file.ok()) << file.describe_error();
  EXPECT_EQ(file.entries[0].scopes, scopes);
}

TEST(Bearer, ReadsTheTokenAndRefusesOtherShapes) {
  EXPECT_EQ(bearer_token("Bearer abc"), std::optional<std::string_view>("abc"));
  EXPECT_EQ(bearer_token("bearer  abc-._~+/="), std::optional<std::string_view>("abc-._~+/="));
  EXPECT_EQ(bearer_token("BEARER abc "), std::optional<std::string_view>("abc"));
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearerabc", "Basic abc", "Bearer a b", "Bearer a,b", "Bearer \"a\""})
    EXPECT_FALSE(bearer_token(bad)) << bad;
}

TEST(KeyStore, OpenAdmitsEverythingWithoutAClient) {
  const KeyStore store;
  EXPECT_TRUE(store.open());
  const Admission a = store.admit(std::nullopt, Scope::write);
  EXPECT_TRUE(a.allowed());
  EXPECT_EQ(a.client, "");
  EXPECT_TRUE(store.admit(std::string_view("Bearer whatever"), Scope::peer).allowed());
}

TEST(KeyStore, VerdictsForEachKindOfRequest) {
  KeyStore store;
  store.replace(parse_key_file("billing read,write " + billing_hex + "\nads read " + ads_hex + "\n").entries);
  EXPECT_FALSE(store.open());
  EXPECT_EQ(store.admit(std::nullopt, Scope::read).verdict, Verdict::missing);
  EXPECT_EQ(store.admit(std::string_view("Basic YTpi"), Scope::read).verdict, Verdict::malformed);
  EXPECT_EQ(store.admit(std::string_view("Bearer nope"), Scope::read).verdict, Verdict::unknown);
  EXPECT_EQ(store.admit(std::string_view("Bearer " + billing_hex), Scope::read).verdict, Verdict::unknown)
      << "the digest is not the secret";
  const Admission billing = store.admit(std::string_view("Bearer billing-secret"), Scope::write);
  EXPECT_TRUE(billing.allowed());
  EXPECT_EQ(billing.client, "billing");
  const Admission ads = store.admit(std::string_view("Bearer ads-secret"), Scope::write);
  EXPECT_EQ(ads.verdict, Verdict::lacking_scope);
  EXPECT_FALSE(ads.unauthorized());
  EXPECT_EQ(ads.client, "ads");
  EXPECT_TRUE(store.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed());
  EXPECT_TRUE(store.admit(std::nullopt, Scope::open).allowed()) << "open routes need no key";
  EXPECT_TRUE(store.admit(std::string_view("Bearer nope"), Scope::open).allowed());
}

TEST(KeyStore, TheRememberedTokenNeverOutlivesAReloadNorAdmitsAnotherToken) {
  KeyStore store;
  store.replace(parse_key_file("billing read,write " + billing_hex + "\nads read " + ads_hex + "\n").entries);
  EXPECT_TRUE(store.admit(std::string_view("Bearer billing-secret"), Scope::write).allowed());  // remembered now
  EXPECT_TRUE(store.admit(std::string_view("Bearer billing-secret"), Scope::write).allowed());  // from the memo
  EXPECT_EQ(store.admit(std::string_view("Bearer billing-secreT"), Scope::write).verdict, Verdict::unknown)
      << "same length, one byte different";
  // With a token remembered, a token of another shape is still refused for its characters, not compared through.
  EXPECT_TRUE(store.admit(std::string_view("Bearer billing-secret"), Scope::write).allowed());
  for (const char* bad : {"Bearer billing-secre\"", "Bearer billing secret", "Bearer billing,secret"})
    EXPECT_EQ(store.admit(std::string_view(bad), Scope::write).verdict, Verdict::malformed) << bad;
  EXPECT_EQ(store.admit(std::string_view("Bearer billing-secret"), Scope::write).client, "billing");
  const Admission ads = store.admit(std::string_view("Bearer ads-secret"), Scope::write);  // another client
  EXPECT_EQ(ads.verdict, Verdict::lacking_scope) << "the scope is checked every time, memo or not";
  EXPECT_EQ(ads.client, "ads");
  // Revocation: the next request after the reload is refused although this thread just admitted the token.
  EXPECT_TRUE(store.admit(std::string_view("Bearer billing-secret"), Scope::read).allowed());
  store.replace(parse_key_file("ads read " + ads_hex + "\n").entries);
  EXPECT_EQ(store.admit(std::string_view("Bearer billing-secret"), Scope::read).verdict, Verdict::unknown);
  // Rotation of scopes: same secret, fewer scopes, effective at once.
  EXPECT_TRUE(store.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed());
  store.replace(parse_key_file("ads events " + ads_hex + "\n").entries);
  EXPECT_EQ(store.admit(std::string_view("Bearer ads-secret"), Scope::read).verdict, Verdict::lacking_scope);
}

TEST(KeyStore, ARequestKeepsTheSetItTookWhileAReloadSwapsIt) {
  KeyStore store;
  store.replace(parse_key_file("billing read " + billing_hex + "\n").entries);
  const std::shared_ptr<const KeySet> in_flight = store.current();
  store.replace(parse_key_file("ads read " + ads_hex + "\n").entries);
  ASSERT_EQ(in_flight->entries.size(), 1u);
  EXPECT_EQ(in_flight->entries[0].name, "billing") << "the old set lives while a request holds it";
  EXPECT_EQ(store.admit(std::string_view("Bearer billing-secret"), Scope::read).verdict, Verdict::unknown);
  EXPECT_TRUE(store.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed());
}

TEST(KeyStore, ConcurrentAdmissionsDuringSwapsSeeOneSetOrTheOther) {
  KeyStore store;
  const std::vector<KeyEntry> first = parse_key_file("billing read " + billing_hex + "\n").entries;
  const std::vector<KeyEntry> second = parse_key_file("ads read " + ads_hex + "\n").entries;
  store.replace(first);
  std::atomic<bool> stop{false};
  std::atomic<int> inconsistent{0};
  std::atomic<long> admissions{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        // Exactly one of the two keys works in any one set.
        const std::shared_ptr<const KeySet> set = store.current();
        const bool billing = set->by_digest.count(sha256("billing-secret")) == 1;
        const bool ads = set->by_digest.count(sha256("ads-secret")) == 1;
        if (billing == ads) ++inconsistent;
        store.admit(std::string_view("Bearer billing-secret"), Scope::read);
        ++admissions;
      }
    });
  }
  // Swap until the readers have done a good number of admissions (bounded: a stuck reader fails the count).
  for (long i = 0; admissions.load() < 20'000 && i < 2'000'000; ++i) store.replace(i % 2 ? first : second);
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GE(admissions.load(), 20'000);
}

// A key file in a fresh temporary directory, on the real file system (as tallyd reads it).
class KeyFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-auth-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/keys";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  std::string dir_, path_;
  KeyStore store_;
};

TEST_F(KeyFileOnDisk, LoadsReloadsOnChangeAndKeepsTheOldKeysForAMalformedFile) {
  write("billing read " + billing_hex + "\n");
  KeyFileReloader reloader(disk::posix_file_system(), path_, store_);
  ASSERT_EQ(reloader.load(), "");
  EXPECT_TRUE(store_.admit(std::string_view("Bearer billing-secret"), Scope::read).allowed());
  EXPECT_EQ(reloader.reload(false), KeyFileReloader::Result::unchanged);
  EXPECT_EQ(reloader.reload(true), KeyFileReloader::Result::reloaded) << "SIGHUP reloads even the same content";

  write("ads read " + ads_hex + "\n");
  EXPECT_EQ(reloader.reload(false), KeyFileReloader::Result::reloaded);
  EXPECT_EQ(store_.admit(std::string_view("Bearer billing-secret"), Scope::read).verdict, Verdict::unknown);
  EXPECT_TRUE(store_.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed());

  write("ads read " + ads_hex + "\nbroken line\n");
  EXPECT_EQ(reloader.reload(false), KeyFileReloader::Result::refused);
  EXPECT_EQ(reloader.reload(false), KeyFileReloader::Result::unchanged) << "the same bad content is not retried";
  EXPECT_EQ(reloader.reload(true), KeyFileReloader::Result::refused);
  EXPECT_TRUE(store_.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed()) << "old keys stay";

  std::remove(path_.c_str());
  EXPECT_EQ(reloader.reload(false), KeyFileReloader::Result::refused);
  EXPECT_TRUE(store_.admit(std::string_view("Bearer ads-secret"), Scope::read).allowed());
}

TEST_F(KeyFileOnDisk, LoadNamesTheLineOfAMalformedFileAndAMissingFile) {
  KeyFileReloader reloader(disk::posix_file_system(), path_, store_);
  EXPECT_NE(reloader.load(), "");
  write("# header\nbilling reed " + billing_hex + "\n");
  const std::string error = reloader.load();
  EXPECT_NE(error.find("line 2: unknown scope 'reed'"), std::string::npos) << error;
  EXPECT_TRUE(store_.open()) << "nothing was put in force";
}

TEST(FailureThrottle, DelaysOnlyTheOffenderPastTheLimit) {
  FailureThrottle throttle;
  std::int64_t now = 1'000;
  for (int i = 0; i < limits::auth_failures_before_delay_max; ++i)
    EXPECT_FALSE(throttle.record_failure("10.0.0.1", now++)) << i;
  EXPECT_TRUE(throttle.record_failure("10.0.0.1", now++));
  EXPECT_TRUE(throttle.record_failure("10.0.0.1", now++));
  EXPECT_FALSE(throttle.record_failure("10.0.0.2", now++)) << "another address is not affected";
  // After the window the offender starts afresh.
  now += limits::auth_failure_window_ms + 1;
  EXPECT_FALSE(throttle.record_failure("10.0.0.1", now));
}

TEST(FailureThrottle, TheTableIsBoundedAndForgetsTheLeastRecent) {
  constexpr std::size_t table = 8;
  FailureThrottle throttle(table);
  std::int64_t now = 1;
  for (int i = 0; i <= limits::auth_failures_before_delay_max; ++i) throttle.record_failure("offender", now++);
  EXPECT_TRUE(throttle.record_failure("offender", now++));
  for (std::size_t i = 0; i < 5 * table; ++i) {
    throttle.record_failure("spray-" + std::to_string(i), now++);
    EXPECT_LE(throttle.addresses(), table);
  }
  EXPECT_EQ(throttle.addresses(), table);
  EXPECT_FALSE(throttle.record_failure("offender", now++)) << "evicted, so counted from zero again";
  // A recently failing address is kept while others come and go.
  FailureThrottle kept(table);
  for (int i = 0; i <= limits::auth_failures_before_delay_max; ++i) kept.record_failure("offender", now++);
  for (std::size_t i = 0; i < 5 * table; ++i) {
    kept.record_failure("spray-" + std::to_string(i), now++);
    EXPECT_TRUE(kept.record_failure("offender", now++));
  }
}

}  // namespace
}  // namespace tally::auth
