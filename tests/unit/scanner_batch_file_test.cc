// Reading gun batch files (DESIGN §8): every kind of bad row is reported with
// its line and reason, and the good rows beside it are kept.

#include <cstring>

#include <catch2/catch.hpp>

#include "scanner/batch_file.h"
#include "core/utf8.h"

using namespace station;

namespace {

const char* kHeader =
    "# device=PDA-0042 courier=C1001 station=571001 batch=20261124-0003\n"
    "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";

std::string ReasonOnLine(const Batch& batch, int line) {
  for (const RowProblem& p : batch.problems) {
    if (p.line == line) return p.reason;
  }
  return "(no problem on line " + std::to_string(line) + ")";
}

}  // namespace

TEST_CASE("the sample batch of DESIGN §8 reads whole", "[scanner][batch]") {
  std::string text = std::string(kHeader) +
                     "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,BG3100010123,1250,,\n"
                     "2,,arrival,2026-11-24T07:58:40+08:00,310001,BG3100010124,,,\n"
                     "3,EE123456785CN,problem,2026-11-24T10:02:03+08:00,,,,wrong_phone,\"空号, 已联系寄件人\"\n";
  auto batch = ReadBatch(text);
  REQUIRE(batch.ok());
  CHECK(batch->origin.device == "PDA-0042");
  CHECK(batch->origin.courier == "C1001");
  CHECK(batch->origin.station == "571001");
  CHECK(batch->origin.batch == "20261124-0003");
  CHECK(batch->problems.empty());
  REQUIRE(batch->rows.size() == 3);
  CHECK(batch->rows[0].line == 3);
  CHECK(batch->rows[0].scan.weight_g == 1250);
  CHECK(batch->rows[1].scan.waybill.empty());
  CHECK(batch->rows[1].scan.bag == "BG3100010124");
  CHECK(batch->rows[2].scan.reason == ProblemReason::kWrongPhone);
  CHECK(batch->rows[2].scan.note == "空号, 已联系寄件人");
}

TEST_CASE("every kind of bad row is reported with its line and the good rows are kept", "[scanner][batch]") {
  std::string overlong(501, 'x');
  std::string text = std::string(kHeader) +
                     "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"            // 3 good
                     "2,EE123456786CN,arrival,2026-11-24T07:58:12+08:00,,,,,\n"                     // 4 check digit
                     "3,ZT7730012345679,teleported,2026-11-24T07:58:12+08:00,,,,,\n"                // 5 type
                     "4,ZT7730012345670,arrival,2026-11-24 07:58,,,,,\n"                            // 6 time
                     "5,,arrival,2026-11-24T07:58:12+08:00,,,,,\n"                                  // 7 no waybill/bag
                     "6,ZT7730012345671,signed,2026-11-24T07:58:12+08:00,,,,," + overlong + "\n"    // 8 note
                     "7,ZT7730012345672,signed,2026-11-24T07:58:12+08:00,,,,,\"bad\"quote\n"        // 9 quoting
                     "8,ZT7730012345673,problem,2026-11-24T07:58:12+08:00,,,,,\n"                   // 10 no reason
                     "9,ZT7730012345674,arrival,2026-11-24T07:58:12+08:00\n"                        // 11 fields
                     "10,ZT7730012345675,problem,2026-11-24T07:58:12+08:00,,,,lost_in_space,\n"     // 12 reason
                     "11,ZT7730012345676,dispatch,2026-11-24T07:58:12+08:00,,,,,\n"                 // 13 no peer
                     "12,ZT7730012345677,arrival,2026-11-24T07:58:12+08:00,,,-5,,\n"                // 14 weight
                     ",ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,,,,,\n"                    // 15 no seq
                     "1,ZT7730012345678,signed,2026-11-24T07:58:12+08:00,,,,,\n"                    // 16 seq twice
                     "15,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,,123456789012345670,,,\n"  // 17 SSCC
                     "16,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,31000,,,,\n"             // 18 peer
                     "17,ZT7730012345678,signed,2026-11-24T07:58:12+08:00,,,,,\xff\xfe\n"           // 19 UTF-8
                     "18,ZT7730012345678,signed,2026-11-24T09:00:00+08:00,,,,,张三\n";              // 20 good
  auto batch = ReadBatch(text);
  REQUIRE(batch.ok());
  REQUIRE(batch->rows.size() == 2);
  CHECK(batch->rows[0].line == 3);
  CHECK(batch->rows[1].line == 20);
  CHECK(batch->rows[1].scan.note == "张三");
  CHECK(batch->problems.size() == 16);
  CHECK_THAT(ReasonOnLine(*batch, 4), Catch::Contains("check digit"));
  CHECK_THAT(ReasonOnLine(*batch, 5), Catch::Contains("unknown scan type 'teleported'"));
  CHECK_THAT(ReasonOnLine(*batch, 6), Catch::Contains("time"));
  CHECK_THAT(ReasonOnLine(*batch, 7), Catch::Contains("waybill or a bag"));
  CHECK_THAT(ReasonOnLine(*batch, 8), Catch::Contains("501 characters"));
  CHECK_THAT(ReasonOnLine(*batch, 9), Catch::Contains("broken quoting"));
  CHECK_THAT(ReasonOnLine(*batch, 10), Catch::Contains("needs a reason"));
  CHECK_THAT(ReasonOnLine(*batch, 11), Catch::Contains("4 fields"));
  CHECK_THAT(ReasonOnLine(*batch, 12), Catch::Contains("unknown problem reason"));
  CHECK_THAT(ReasonOnLine(*batch, 13), Catch::Contains("peer_station"));
  CHECK_THAT(ReasonOnLine(*batch, 14), Catch::Contains("weight_g"));
  CHECK_THAT(ReasonOnLine(*batch, 15), Catch::Contains("seq is empty"));
  CHECK_THAT(ReasonOnLine(*batch, 16), Catch::Contains("appears twice"));
  CHECK_THAT(ReasonOnLine(*batch, 17), Catch::Contains("SSCC"));
  CHECK_THAT(ReasonOnLine(*batch, 18), Catch::Contains("six digits"));
  CHECK_THAT(ReasonOnLine(*batch, 19), Catch::Contains("UTF-8"));
  // The raw row is kept as the gun wrote it, for the clerk.
  CHECK(batch->problems[0].raw == "2,EE123456786CN,arrival,2026-11-24T07:58:12+08:00,,,,,");
  CHECK(batch->problems[0].seq == 2);
}

TEST_CASE("a note of exactly 500 Chinese characters is accepted", "[scanner][batch]") {
  std::string note;
  for (int i = 0; i < 500; ++i) note += "签";
  std::string text = std::string(kHeader) + "1,ZT7730012345678,signed,2026-11-24T07:58:12+08:00,,,,," + note + "\n";
  auto batch = ReadBatch(text);
  REQUIRE(batch.ok());
  CHECK(batch->problems.empty());
  CHECK(batch->rows.size() == 1);
}

TEST_CASE("a batch without its comment line or with a bad header is refused whole", "[scanner][batch]") {
  auto no_comment = ReadBatch("seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n");
  REQUIRE_FALSE(no_comment.ok());
  CHECK_THAT(no_comment.status().message(), Catch::Contains("comment line"));

  auto no_device = ReadBatch("# courier=C1 station=571001 batch=b1\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n");
  REQUIRE_FALSE(no_device.ok());
  CHECK_THAT(no_device.status().message(), Catch::Contains("device"));

  auto bad_station = ReadBatch("# device=D courier=C station=57 batch=b\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n");
  REQUIRE_FALSE(bad_station.ok());
  CHECK_THAT(bad_station.status().message(), Catch::Contains("six digits"));

  auto missing_column = ReadBatch("# device=D courier=C station=571001 batch=b\nseq,waybill,type,time,bag\n");
  REQUIRE_FALSE(missing_column.ok());
  CHECK_THAT(missing_column.status().message(), Catch::Contains("peer_station"));
}

TEST_CASE("columns may come in any order", "[scanner][batch]") {
  auto batch = ReadBatch(
      "# device=D1 courier=C1 station=571001 batch=b1\n"
      "type,seq,time,waybill,note,reason,weight_g,bag,peer_station\n"
      "arrival,7,2026-11-24T07:58:12+08:00,ZT7730012345678,,,900,,310001\n");
  REQUIRE(batch.ok());
  REQUIRE(batch->rows.size() == 1);
  CHECK(batch->rows[0].scan.seq == 7);
  CHECK(batch->rows[0].scan.weight_g == 900);
  CHECK(batch->rows[0].scan.peer_station == "310001");
}

TEST_CASE("a split batch file reads back to the same rows and lines", "[scanner][batch]") {
  std::string text = std::string(kHeader);
  for (int i = 1; i <= 25; ++i) {
    text += std::to_string(i) + ",ZT77300123456" + (i < 10 ? "0" : "") + std::to_string(i) +
            ",arrival,2026-11-24T07:58:12+08:00,,,,,\"multi\nline\"\n";
  }
  auto split = SplitBatchFile(text, 10);
  REQUIRE(split.ok());
  REQUIRE(split->slices.size() == 3);
  CHECK(split->slices[0].rows == 10);
  CHECK(split->slices[2].rows == 5);
  int rows = 0;
  for (const BatchSlice& slice : split->slices) {
    auto part = ReadBatch(std::string(split->preamble) + std::string(slice.text), slice.first_line);
    REQUIRE(part.ok());
    CHECK(part->problems.empty());
    REQUIRE_FALSE(part->rows.empty());
    CHECK(part->rows.front().line == slice.first_line);
    rows += static_cast<int>(part->rows.size());
  }
  CHECK(rows == 25);
  CHECK(split->slices[1].first_line == 3 + 10 * 2);  // each row takes two lines
}

TEST_CASE("issue: reasons quoting bad input stay valid UTF-8 however the input is cut", "[scanner][batch]") {
  std::string text = std::string(kHeader) +
                     "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,杭州转运中心下沙,,,,\n"
                     "2,ZT7730012345678,\xff\xfe\xe6\x9d,2026-11-24T07:58:12+08:00,,,,,\n"
                     "3,运单号码很长很长很长很长很长很长,arrival,2026-11-24T07:58:12+08:00,,,,,\n";
  auto batch = ReadBatch(text);
  REQUIRE(batch.ok());
  REQUIRE(batch->problems.size() == 3);
  for (const RowProblem& p : batch->problems) {
    INFO(p.reason);
    CHECK(Utf8CodePoints(p.reason).has_value());
  }
  CHECK_THAT(batch->problems[1].reason, Catch::Contains("\\xFF"));
}

TEST_CASE("a message with more rows than the limit is refused whole, quickly", "[scanner][batch]") {
  std::string text = std::string(kHeader);
  for (int i = 0; i < 1000; ++i) text += "x\n";
  auto batch = ReadBatch(text, 0, 500);
  REQUIRE_FALSE(batch.ok());
  CHECK_THAT(batch.status().message(), Catch::Contains("more than 500 rows"));
}

// Issue 6 point 2: limits on hostile or broken input. Each one costs only
// its own row, with a reason naming what was wrong.

namespace {

// A good row numbered `seq`, but for `column` set to `value`.
std::string Row(int seq_number, const std::string& column = "", const std::string& value = "") {
  std::string seq = std::to_string(seq_number), waybill = "ZT7730012345678", type = "arrival",
              time = "2026-11-24T07:58:12+08:00";
  std::string peer = "310001", bag = "BG3100010123", weight = "1250", reason = "", note = "";
  std::string* fields[] = {&seq, &waybill, &type, &time, &peer, &bag, &weight, &reason, &note};
  for (int c = 0; c < 9; ++c) {
    if (column == kBatchColumns[c]) *fields[c] = value;
  }
  std::string row;
  for (int c = 0; c < 9; ++c) row += (c ? "," : "") + *fields[c];
  return row + "\n";
}

}  // namespace

TEST_CASE("every row field has a length limit, and a field past it names the field and the limit",
          "[scanner][batch][limits]") {
  const std::pair<const char*, std::size_t> limits[] = {{"seq", kMaxSeqBytes},
                                                        {"waybill", kMaxWaybillBytes},
                                                        {"type", kMaxTypeBytes},
                                                        {"time", kMaxTimeBytes},
                                                        {"peer_station", kMaxPeerStationBytes},
                                                        {"bag", kMaxBagBytes},
                                                        {"weight_g", kMaxWeightBytes},
                                                        {"reason", kMaxReasonBytes}};
  for (const auto& [column, limit] : limits) {
    INFO(column);
    // At the limit the field is read by its format (and may fail it); past
    // the limit it is refused for its length, before anything else.
    auto at = ReadBatch(std::string(kHeader) + Row(1, column, std::string(limit, '1')) + Row(2));
    REQUIRE(at.ok());
    for (const RowProblem& p : at->problems) CHECK_THAT(p.reason, !Catch::Contains("too long"));
    auto past = ReadBatch(std::string(kHeader) + Row(1, column, std::string(limit + 1, '1')) + Row(2));
    REQUIRE(past.ok());
    REQUIRE(past->problems.size() == 1);
    CHECK(past->problems[0].line == 3);
    CHECK(past->problems[0].reason == std::string(column) + " too long: " + std::to_string(limit + 1) +
                                          " bytes, at most " + std::to_string(limit) + " allowed");
    REQUIRE(past->rows.size() == 1);  // the row beside it is kept
    CHECK(past->rows[0].line == 4);
  }
  // Good values at the edge of their limit are taken: a waybill the gun
  // padded with spaces to 32 bytes, a seq with leading zeros to 20.
  auto padded = ReadBatch(std::string(kHeader) + Row(1, "waybill", std::string(17, ' ') + "ZT7730012345678") +
                          Row(1, "seq", "00000000000000000002"));
  REQUIRE(padded.ok());
  CHECK(padded->problems.empty());
  CHECK(padded->rows.size() == 2);
}

TEST_CASE("a note past 500 characters, or with a NUL or an escape, costs only its row", "[scanner][batch][limits]") {
  std::string long_note;
  for (int i = 0; i < 501; ++i) long_note += "签";
  auto batch = ReadBatch(std::string(kHeader) + Row(1, "note", long_note) +  // 3
                         Row(2) +                                            // 4 good
                         Row(3, "note", std::string("ab\0cd", 5)) +          // 5 NUL
                         Row(4, "note", "red \x1b[31m text") +               // 6 ESC
                         Row(5, "note", "\"tab\there\nand a line\"") +       // 7 good
                         Row(6, "note", "\xe7\xad"));                        // 9 cut UTF-8
  REQUIRE(batch.ok());
  REQUIRE(batch->rows.size() == 2);
  CHECK(batch->rows[0].line == 4);
  CHECK(batch->rows[1].line == 7);
  CHECK(batch->rows[1].scan.note == "tab\there\nand a line");
  CHECK(ReasonOnLine(*batch, 3) == "note too long: 501 characters, at most 500 allowed");
  CHECK_THAT(ReasonOnLine(*batch, 5), Catch::Contains("control character U+0000"));
  CHECK_THAT(ReasonOnLine(*batch, 6), Catch::Contains("control character U+001B"));
  CHECK(ReasonOnLine(*batch, 9) == "note: not valid UTF-8");
}

TEST_CASE("NUL bytes and invalid UTF-8 in any field make a clear reason that is safe to show",
          "[scanner][batch][limits]") {
  auto batch = ReadBatch(std::string(kHeader) + Row(1, "type", std::string("arrival\0", 8)) +
                         Row(2, "waybill",
                             "ZT77300\xff\xfe"
                             "12345") +
                         Row(3, "peer_station", std::string("31000\0", 6)) + Row(4));
  REQUIRE(batch.ok());
  REQUIRE(batch->rows.size() == 1);
  REQUIRE(batch->problems.size() == 3);
  CHECK(ReasonOnLine(*batch, 3) == "unknown scan type 'arrival\\x00'");
  CHECK_THAT(ReasonOnLine(*batch, 4), Catch::Contains("waybill ZT77300\\xFF\\xFE12345"));
  CHECK_THAT(ReasonOnLine(*batch, 5), Catch::Contains("peer_station '31000\\x00'"));
  for (const RowProblem& p : batch->problems) {
    INFO(p.reason);
    CHECK(Utf8CodePoints(p.reason).has_value());
    CHECK(p.reason.find('\0') == std::string::npos);
  }
}

TEST_CASE("a row with too many columns is a problem of its own, however many", "[scanner][batch][limits]") {
  std::string twelve = "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,,,,,,x,y,z\n";
  std::string seventy = "2,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00" + std::string(66, ',') + "\n";
  auto batch = ReadBatch(std::string(kHeader) + twelve + seventy + Row(3));
  REQUIRE(batch.ok());
  REQUIRE(batch->rows.size() == 1);
  CHECK(batch->rows[0].line == 5);
  CHECK(ReasonOnLine(*batch, 3) == "row has 12 fields, the header has 9");
  CHECK(ReasonOnLine(*batch, 4) == "row has more than 64 fields: the header has 9");
}

TEST_CASE("a huge quoted field spanning many lines is one bad row, and the lines after it keep their numbers",
          "[scanner][batch][limits]") {
  std::string huge = "\"";
  for (int i = 0; i < 100000; ++i) huge += "line " + std::to_string(i) + "\n";
  huge += "\"";
  auto batch = ReadBatch(std::string(kHeader) + Row(1, "note", huge) + Row(2));
  REQUIRE(batch.ok());
  REQUIRE(batch->problems.size() == 1);
  CHECK(batch->problems[0].line == 3);
  CHECK(batch->problems[0].seq == 1);
  CHECK_THAT(batch->problems[0].reason, Catch::StartsWith("note too long: ") && Catch::EndsWith("at most 500 allowed"));
  REQUIRE(batch->rows.size() == 1);
  CHECK(batch->rows[0].line == 3 + 100000 + 1);
}

TEST_CASE("the comment line's values have limits, and the refusal names the key", "[scanner][batch][limits]") {
  const std::string columns = "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  const std::string at_limit(kMaxNameChars, 'D');
  auto ok =
      ReadBatch("# device=" + at_limit + " courier=" + at_limit + " station=571001 batch=" + at_limit + "\n" + columns);
  REQUIRE(ok.ok());
  CHECK(ok->origin.device == at_limit);
  for (const char* key : {"device", "courier", "batch"}) {
    INFO(key);
    std::string comment = "# device=D courier=C station=571001 batch=B";
    comment.replace(comment.find(std::string(key) + "=") + std::strlen(key) + 1, 1,
                    std::string(kMaxNameChars + 1, 'X'));
    auto refused = ReadBatch(comment + "\n" + columns);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message() ==
          "batch comment line: " + std::string(key) + " is 65 characters long, at most 64 allowed");
  }
  auto twice = ReadBatch("# device=D1 courier=C station=571001 batch=B device=D2\n" + columns);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() == "batch comment line: device= appears twice");
  auto nul = ReadBatch(std::string("# device=D") + '\0' + " courier=C station=571001 batch=B\n" + columns);
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.status().message() ==
        "batch comment line: device 'D\\x00' may hold only letters, digits, '-', '_' and '.'");
  auto station = ReadBatch("# device=D courier=C station=5710010 batch=B\n" + columns);
  REQUIRE_FALSE(station.ok());
  CHECK_THAT(station.status().message(), Catch::Contains("station must be six digits"));
}

TEST_CASE("the rows limit of a message is named in the refusal", "[scanner][batch][limits]") {
  std::string text = std::string(kHeader);
  for (std::size_t i = 0; i <= kMaxBatchRows; ++i) text += "x\n";
  auto batch = ReadBatch(text);
  REQUIRE_FALSE(batch.ok());
  CHECK(batch.status().message() ==
        "batch: more than 50000 rows in one message (the limit a message); send it in parts");
}

TEST_CASE("a split batch keeps each part under the body limit, a huge row alone in its part",
          "[scanner][batch][limits]") {
  std::string text = std::string(kHeader);
  for (int seq = 1; seq <= 30; ++seq) {
    std::string note = seq == 12 ? std::string(5000, 'n') : "";
    text += std::to_string(seq) + ",ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,,,,," + note + "\n";
  }
  const std::size_t max_bytes = 1000;
  auto split = SplitBatchFile(text, 10, max_bytes);
  REQUIRE(split.ok());
  std::size_t rows = 0;
  int next_line = 3;
  bool huge_alone = false;
  for (const BatchSlice& slice : split->slices) {
    INFO("part from line " << slice.first_line);
    CHECK(slice.first_line == next_line);
    CHECK(slice.rows <= 10);
    if (slice.text.size() > 5000) {
      huge_alone = slice.rows == 1 && slice.first_line == 14;
    } else {
      CHECK(split->preamble.size() + slice.text.size() <= max_bytes);
    }
    auto part = ReadBatch(std::string(split->preamble) + std::string(slice.text), slice.first_line);
    REQUIRE(part.ok());
    rows += part->rows.size() + part->problems.size();
    next_line += static_cast<int>(slice.rows);
  }
  CHECK(huge_alone);
  CHECK(rows == 30);
}

// Issue 6, found by fuzz_gun_batch: the CSV reader skipped a UTF-8 BOM at the
// start of whatever text it was given, so a row starting with one lost it
// when it was the first row of a part: stationd took the row from a part
// (seq 5) and refused it read whole (seq "\xEF\xBB\xBF5"), depending on
// where the dock cut the file.
TEST_CASE("issue 6: a BOM before a row is the row's data, whichever part the row starts", "[scanner][batch]") {
  const std::string bom = "\xEF\xBB\xBF";
  std::string text = std::string(kHeader) + "4,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,,,,,\n" + bom +
                     "5,ZT7730012345686,arrival,2026-11-24T07:58:13+08:00,,,,,\n";
  auto whole = ReadBatch(text);
  REQUIRE(whole.ok());
  CHECK(whole->rows.size() == 1);
  REQUIRE(whole->problems.size() == 1);
  CHECK(whole->problems[0].line == 4);
  CHECK(whole->problems[0].raw.substr(0, 3) == bom);

  auto split = SplitBatchFile(text, 1);
  REQUIRE(split.ok());
  REQUIRE(split->slices.size() == 2);
  auto part = ReadBatch(std::string(split->preamble) + std::string(split->slices[1].text), split->slices[1].first_line);
  REQUIRE(part.ok());
  CHECK(part->rows.empty());
  REQUIRE(part->problems.size() == 1);
  CHECK(part->problems[0].line == 4);
  CHECK(part->problems[0].raw == whole->problems[0].raw);

  // Before the first row too: only the file's own start may carry a BOM.
  auto first = ReadBatch(std::string(kHeader) + bom + "5,ZT7730012345686,arrival,2026-11-24T07:58:13+08:00,,,,,\n");
  REQUIRE(first.ok());
  CHECK(first->rows.empty());
  CHECK(first->problems.size() == 1);
  auto file_bom = ReadBatch(bom + kHeader + "5,ZT7730012345686,arrival,2026-11-24T07:58:13+08:00,,,,,\n");
  REQUIRE(file_bom.ok());
  CHECK(file_bom->rows.size() == 1);
}
