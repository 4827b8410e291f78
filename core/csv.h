#pragma once
// An RFC 4180 record reader that survives bad records.
//
// Why our own and not Debian's libcsv or fast-cpp-csv-parser: we need each
// record's raw bytes and starting line for quarantine, quoted line breaks
// (notes), and recovery after a broken record so the rows after it still
// load. libcsv stops the parse at the first strict-mode error; the fast C++
// parser throws and does not allow line breaks inside quotes.

#include <string>
#include <string_view>
#include <vector>

namespace station {

struct CsvRecord {
  int line = 0;                     // physical line the record starts on, 1-based
  std::string_view raw;             // the record's bytes, without its line break
  std::vector<std::string> fields;  // decoded fields; meaningless when !error.empty()
  std::string error;                // empty when the record is well-formed
  bool too_many_fields = false;     // the error is that it has more than kMaxCsvFields
};

// A record may have at most this many fields; more is a malformed record.
inline constexpr std::size_t kMaxCsvFields = 64;

// Reads `text` one record at a time. A malformed record (a quote inside an
// unquoted field, text after a closing quote, a quote never closed) is
// returned with `error` set, and reading resumes on the physical line after
// the one it started on, so one broken row costs only itself.
class CsvReader {
 public:
  // `first_line` is the line number of text's first line. A UTF-8 BOM at
  // the start of `text` is skipped when `text` starts a file (a spreadsheet
  // writes one there); in text that continues a file, such as the rows after
  // a header, it is a row's data.
  explicit CsvReader(std::string_view text, int first_line = 1, bool starts_file = true);

  // Fills `record` with the next record; false at the end of the text.
  // Empty lines are skipped.
  bool Next(CsvRecord& record);

  // The unread rest of the text, and the line it starts on.
  std::string_view rest() const { return text_.substr(pos_); }
  int line() const { return line_; }

 private:
  void SkipToNextLine(std::size_t from);
  // Marks `record` malformed for `why`, with the raw bytes of its first
  // line, and moves on to the line after that; returns true (a record).
  bool Fail(CsvRecord& record, std::size_t start, std::string why);
  // Read the field starting at text_[p] into `field` and leave p after it;
  // return why the field is malformed, or nullptr.
  const char* ReadQuotedField(std::size_t& p, std::string& field, int& lines_spanned) const;
  const char* ReadPlainField(std::size_t& p, std::string& field) const;

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_;
};

// Appends `field` to `out` quoted when it needs to be (comma, quote, line
// break, leading or trailing space).
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace station
