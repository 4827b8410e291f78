#include <catch2/catch.hpp>

#include "core/csv.h"

using namespace station;

namespace {

std::vector<CsvRecord> ReadAll(std::string_view text) {
  CsvReader reader(text);
  std::vector<CsvRecord> out;
  CsvRecord r;
  while (reader.Next(r)) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("CSV fields with commas, quotes and line breaks are read per RFC 4180", "[scanner][csv]") {
  auto records = ReadAll("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,\"two\nlines\",3\nlast,,\n");
  REQUIRE(records.size() == 3);
  CHECK(records[0].fields == std::vector<std::string>{"a", "b,c", "say \"hi\""});
  CHECK(records[0].line == 1);
  CHECK(records[1].fields == std::vector<std::string>{"1", "two\nlines", "3"});
  CHECK(records[1].raw == "1,\"two\nlines\",3");
  CHECK(records[2].line == 4);  // the quoted line break counts as a line
  CHECK(records[2].fields == std::vector<std::string>{"last", "", ""});
}

TEST_CASE("a broken quote costs only its own row", "[scanner][csv]") {
  auto records = ReadAll("ok,1\nbad\"quote,2\n\"closed\"junk,3\n\"never closed,4\nok,5\n");
  REQUIRE(records.size() == 5);
  CHECK(records[0].error.empty());
  CHECK(records[1].error == "quote inside an unquoted field");
  CHECK(records[1].line == 2);
  CHECK(records[1].raw == "bad\"quote,2");
  CHECK(records[2].error == "text after a closing quote");
  CHECK(records[3].error == "quoted field is never closed");
  CHECK(records[3].line == 4);
  CHECK(records[4].error.empty());
  CHECK(records[4].fields == std::vector<std::string>{"ok", "5"});
  CHECK(records[4].line == 5);
}

TEST_CASE("a BOM, blank lines and a missing final line break are fine", "[scanner][csv]") {
  auto records = ReadAll("\xEF\xBB\xBFh1,h2\n\n\nx,y");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields[0] == "h1");
  CHECK(records[1].line == 4);
  CHECK(records[1].fields == std::vector<std::string>{"x", "y"});
}

TEST_CASE("AppendCsvField quotes only when it must", "[scanner][csv]") {
  std::string out;
  AppendCsvField(out, "plain");
  out += ',';
  AppendCsvField(out, "空号, 已联系");
  out += ',';
  AppendCsvField(out, "say \"hi\"");
  CHECK(out == "plain,\"空号, 已联系\",\"say \"\"hi\"\"\"");
  auto records = ReadAll(out);
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == std::vector<std::string>{"plain", "空号, 已联系", "say \"hi\""});
}

TEST_CASE("a record of endless commas is one bad record, not millions of fields", "[scanner][csv]") {
  std::string text = std::string(100000, ',') + "\nok,1\n";
  auto records = ReadAll(text);
  REQUIRE(records.size() == 2);
  CHECK_THAT(records[0].error, Catch::Contains("more than 64 fields"));
  CHECK(records[1].error.empty());
}
