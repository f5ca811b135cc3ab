// The plain-body fast path of read_json against the full reader: on every body it accepts, the same document
// (and read_plain_array / read_plain_object, the batch and single-PUT readers, the same fields as views on exactly
// the plain arrays / objects);
// bodies outside its subset (escapes, UTF-8, signs, long integers, nesting, duplicates, damage) are left to the
// full reader, so read_json's answer (and every error's wording) is the full reader's.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "rest/json_fields.hpp"
#include "rest/json_plain.hpp"

namespace {

using namespace tally::rest;

void expect_same(const JsonDocument& a, const JsonDocument& b, const std::string& body) {
  ASSERT_EQ(a.ok, b.ok) << body;
  EXPECT_EQ(a.error, b.error) << body;
  EXPECT_EQ(a.top_is_array, b.top_is_array) << body;
  EXPECT_EQ(a.element_is_object, b.element_is_object) << body;
  ASSERT_EQ(a.objects.size(), b.objects.size()) << body;
  for (std::size_t i = 0; i < a.objects.size(); ++i) {
    ASSERT_EQ(a.objects[i].size(), b.objects[i].size()) << body;
    for (std::size_t k = 0; k < a.objects[i].size(); ++k) {
      EXPECT_EQ(a.objects[i][k].key, b.objects[i][k].key) << body;
      EXPECT_EQ(a.objects[i][k].kind, b.objects[i][k].kind) << body;
      EXPECT_EQ(a.objects[i][k].text, b.objects[i][k].text) << body;
    }
  }
}

// read_plain_json either gives up or agrees with the full reader; read_json always agrees with it.
bool check(const std::string& body, std::size_t objects_max) {
  const JsonDocument full = read_json_full(body, objects_max);
  expect_same(read_json(body, objects_max), full, body);
  JsonDocument plain;
  const bool taken = read_plain_json(body, objects_max, plain);
  if (taken) expect_same(plain, full, body);
  // The batch route's view reader takes exactly the plain arrays, and reads the same fields (as views).
  PlainArray views;
  const bool viewed = read_plain_array(body, objects_max, views);
  EXPECT_EQ(viewed, taken && plain.top_is_array) << body;
  if (viewed && taken) {
    EXPECT_EQ(views.size(), plain.objects.size()) << body;
    for (std::size_t i = 0; i < views.size() && i < plain.objects.size(); ++i) {
      const JsonObjectView object = views.object(i);
      const std::size_t fields = static_cast<std::size_t>(object.end() - object.begin());
      EXPECT_EQ(fields, plain.objects[i].size()) << body;
      for (std::size_t k = 0; k < fields && k < plain.objects[i].size(); ++k) {
        EXPECT_EQ(object.begin()[k].key, plain.objects[i][k].key) << body;
        EXPECT_EQ(object.begin()[k].kind, plain.objects[i][k].kind) << body;
        EXPECT_EQ(object.begin()[k].text, plain.objects[i][k].text) << body;
      }
    }
  }
  // The single PUT's view reader takes exactly the plain objects, with the same fields.
  PlainArray object_views;
  const bool viewed_object = read_plain_object(body, object_views);
  EXPECT_EQ(viewed_object, taken && !plain.top_is_array) << body;
  if (viewed_object) EXPECT_EQ(object_views.size(), 1u) << body;
  if (viewed_object && taken && object_views.size() == 1 && plain.objects.size() == 1) {
    const JsonObjectView object = object_views.object(0);
    const std::size_t fields = static_cast<std::size_t>(object.end() - object.begin());
    EXPECT_EQ(fields, plain.objects[0].size()) << body;
    for (std::size_t k = 0; k < fields && k < plain.objects[0].size(); ++k) {
      EXPECT_EQ(object.begin()[k].key, plain.objects[0][k].key) << body;
      EXPECT_EQ(object.begin()[k].kind, plain.objects[0][k].kind) << body;
      EXPECT_EQ(object.begin()[k].text, plain.objects[0][k].text) << body;
    }
  }
  return taken;
}

TEST(JsonPlain, TakesTheBodiesClientsSend) {
  EXPECT_TRUE(check(R"({"uid":"u-1","type":"DEPOSIT","amount":"10.50","user_id":7})", 0));
  EXPECT_TRUE(check(R"([{"uid":"a","type":"WITHDRAW","amount":1.5,"user_id":12,"timestamp":"2023-01-04T00:00:00Z"},)"
                    R"( {"uid":"b","type":"DEPOSIT","amount":100,"user_id":3,"timestamp":null}])",
                    10));
  EXPECT_TRUE(check(" [ ] ", 10));
  EXPECT_TRUE(check("{}", 0));
  EXPECT_TRUE(check(R"({"a":true,"b":false,"c":0,"d":1.25,"e":2.50,"f":9999999999999999999})", 0));
}

TEST(JsonPlain, LeavesEverythingElseToTheFullReader) {
  const char* bodies[] = {
      R"({"uid":"\u0041"})",          // an escape
      "{\"name\":\"caf\xc3\xa9\"}",    // UTF-8
      "{\"name\":\"bad\xff\"}",        // not UTF-8
      R"({"amount":-5})",             // a sign ("-0" reads back as "0")
      R"({"amount":-0})",
      R"({"user_id":12345678901234567890})",  // 20 digits
      R"({"a":1e5})",                 // an exponent (1e999 overflows a double)
      R"({"a":1e999})",
      R"({"a":{"b":1}})",             // nesting
      R"({"a":[1]})",
      R"([1,2])",                     // elements that are not objects
      R"({"a":1,"a":2})",             // a duplicate
      R"({"a":01})",                  // not JSON from here on
      R"({"a":1.})",
      R"({"a":1,})",
      R"([{"a":1}] x)",
      R"({"a" 1})",
      "",
      "   ",
      "nul",
      "\"text\"",
      R"([{"a":1},{"b":2},{"c":3}])",  // more elements than allowed below
  };
  for (const char* body : bodies) EXPECT_FALSE(check(body, 2)) << body;
}

// Random batches, then the same bodies damaged byte by byte: whatever the fast path takes, it reads as the full
// reader does, and read_json's document (errors included) is always the full reader's.
TEST(JsonPlain, AgreesWithTheFullReaderOnRandomAndDamagedBodies) {
  std::mt19937_64 rng(15);
  const std::vector<std::string> values = {"\"u-1\"", "\"DEPOSIT\"", "12.5", "0", "7", "1e3", "null", "true",
                                           "false", "\"\"", "\"2023-01-04T00:00:00Z\"", "18446744073709551615",
                                           // long strings: the reader steps over 16-byte blocks of them
                                           "\"3f2a9c1e-77b0-4d1c-9e2f-0a1b2c3d4e5f\"", "\"0123456789abcdef\"",
                                           "\"0123456789abcdef0123456789abcdef!~ \""};
  const std::string specials = "{}[],:\"\\ -+.eE0123456789\x01\x7f\xc3";
  int taken = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = "[";
    const int items = static_cast<int>(rng() % 4);
    for (int i = 0; i < items; ++i) {
      if (i) body += rng() % 2 ? "," : " ,\n";
      body += "{";
      const int fields = static_cast<int>(rng() % 4);
      for (int f = 0; f < fields; ++f) {
        if (f) body += ",";
        body += "\"k" + std::to_string(rng() % 5) + "\":" + values[rng() % values.size()];
      }
      body += "}";
    }
    body += "]";
    if (check(body, 3)) ++taken;
    for (int damage = 0; damage < 4; ++damage) {
      std::string bad = body;
      const std::size_t at = rng() % (bad.size() + 1);
      switch (rng() % 3) {
        case 0: bad.insert(at, 1, specials[rng() % specials.size()]); break;
        case 1: if (at < bad.size()) bad.erase(at, 1); break;
        default: bad.resize(at); break;
      }
      check(bad, 3);
    }
  }
  EXPECT_GT(taken, 1000);  // the generator mostly makes plain bodies: the fast path is what got compared
}

}  // namespace
