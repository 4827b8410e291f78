#include "core/csv.h"

namespace station {

CsvReader::CsvReader(std::string_view text, int first_line, bool starts_file) : text_(text), line_(first_line) {
  if (starts_file && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a spreadsheet's UTF-8 BOM
}

void CsvReader::SkipToNextLine(std::size_t from) {
  std::size_t nl = text_.find('\n', from);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
}

bool CsvReader::Fail(CsvRecord& record, std::size_t start, std::string why) {
  // Resynchronise on the line after the record's first line: a broken
  // quote must not swallow the good rows that follow it.
  std::size_t nl = text_.find('\n', start);
  std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
  std::size_t raw_end = (end > start && text_[end - 1] == '\r') ? end - 1 : end;
  record.raw = text_.substr(start, raw_end - start);
  record.error = std::move(why);
  record.fields.clear();
  SkipToNextLine(start);
  ++line_;
  return true;
}

const char* CsvReader::ReadQuotedField(std::size_t& p, std::string& field, int& lines_spanned) const {
  ++p;
  for (;;) {
    if (p >= text_.size()) return "quoted field is never closed";
    char c = text_[p];
    if (c == '"') {
      if (p + 1 < text_.size() && text_[p + 1] == '"') {
        field.push_back('"');
        p += 2;
        continue;
      }
      ++p;
      break;
    }
    if (c == '\n') ++lines_spanned;
    field.push_back(c);
    ++p;
  }
  if (p < text_.size() && text_[p] == '\r' && (p + 1 == text_.size() || text_[p + 1] == '\n')) ++p;
  if (p < text_.size() && text_[p] != ',' && text_[p] != '\n') return "text after a closing quote";
  return nullptr;
}

const char* CsvReader::ReadPlainField(std::size_t& p, std::string& field) const {
  // An unquoted field runs to the next comma or line break; copy it whole.
  std::size_t end = p;
  while (end < text_.size() && text_[end] != ',' && text_[end] != '\n') {
    if (text_[end] == '"') return "quote inside an unquoted field";
    ++end;
  }
  std::size_t value_end = (end > p && text_[end - 1] == '\r') ? end - 1 : end;
  field.assign(text_.data() + p, value_end - p);
  p = end;
  return nullptr;
}

bool CsvReader::Next(CsvRecord& record) {
  // Skip blank lines: they carry nothing and are not errors.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;

  const std::size_t start = pos_;
  record.line = line_;
  record.error.clear();
  record.too_many_fields = false;

  std::size_t p = start;
  int lines_spanned = 0;
  // Fields are written into the record's existing strings, so a reader
  // reusing one CsvRecord allocates only when a field outgrows its string.
  std::size_t count = 0;
  std::vector<std::string>& fields = record.fields;
  for (;;) {
    if (count == kMaxCsvFields) {
      record.too_many_fields = true;
      return Fail(record, start, "more than " + std::to_string(kMaxCsvFields) + " fields");
    }
    if (count == fields.size()) fields.emplace_back();
    std::string& field = fields[count++];
    field.clear();
    const char* malformed = p < text_.size() && text_[p] == '"' ? ReadQuotedField(p, field, lines_spanned)
                                                                 : ReadPlainField(p, field);
    if (malformed != nullptr) return Fail(record, start, malformed);
    if (p < text_.size() && text_[p] == ',') {
      ++p;
      continue;
    }
    break;  // end of line or of text
  }
  fields.resize(count);

  std::size_t end = p;
  std::size_t raw_end = (end > start && text_[end - 1] == '\r') ? end - 1 : end;
  record.raw = text_.substr(start, raw_end - start);
  pos_ = p < text_.size() ? p + 1 : p;
  line_ += 1 + lines_spanned;
  return true;
}

void AppendCsvField(std::string& out, std::string_view field) {
  bool quote = !field.empty() && (field.front() == ' ' || field.back() == ' ');
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace station
