#include "tools/stationctl/problem_requests.h"

#include "daemon/views/station_view.h"
#include "core/command_line.h"
#include "tools/stationctl/clerk_request.h"
#include "tools/stationctl/labels.h"

namespace station {
namespace {

// The reason of the case stationd opened or added to: the reply does not
// carry it, and a report added to an open case keeps that case's reason.
// The reported reason when the case cannot be read.
std::string CaseReason(const CtlOptions& options, const std::string& case_no) {
  if (auto view = StationView::Open(options.data_dir); view.ok()) {
    if (auto detail = (*view)->ProblemCase(case_no); detail.ok()) return detail->fields.reason;
  }
  return options.reason;
}

}  // namespace

int CmdProblemOpen(const CtlOptions& options, const std::string& waybill) {
  if (options.reason.empty()) {
    return UsageError("stationctl", "problems open needs --reason R (wrong_phone, unreachable, out_of_area, ...)");
  }
  ControlRequest request;
  request.req = "problem-open-" + waybill;
  request.cmd = "problem_open";
  request.waybill = waybill;
  request.reason = options.reason;
  request.note = options.note.value_or("");
  request.by = ClerkName(options);
  return SendClerkRequest(options, request, [&options](const ControlReply& reply) {
    const ProblemReply& p = reply.problem;
    const std::string what = p.action == "added" ? "added to case " : "opened case ";
    return what + p.case_no + " for " + p.waybill + " (" + ReasonWithLabel(CaseReason(options, p.case_no)) +
           "), origin " + (p.origin_station.empty() ? "unknown (no manifest row)" : p.origin_station);
  });
}

int CmdProblemClose(const CtlOptions& options, const std::string& case_no) {
  if (!options.note) return UsageError("stationctl", "problems close needs --note TEXT: why it is closed");
  ControlRequest request;
  request.req = "problem-close-" + case_no;
  request.cmd = "problem_close";
  request.case_no = case_no;
  request.note = *options.note;
  request.by = ClerkName(options);
  return SendClerkRequest(options, request, [](const ControlReply& reply) {
    return "closed case " + reply.problem.case_no + " for " + reply.problem.waybill + " (by hand)";
  });
}

int CmdAlertAnswer(const CtlOptions& options, const std::string& case_no) {
  if (options.resolution.empty()) {
    return UsageError("stationctl", "alerts answer needs --resolution R (new_phone, redeliver, self_pickup, ...)");
  }
  ControlRequest request;
  request.req = "problem-answer-" + case_no;
  request.cmd = "problem_answer";
  request.case_no = case_no;
  request.resolution = options.resolution;
  request.phone = options.phone;
  request.address = options.address;
  request.note = options.note.value_or("");
  request.by = ClerkName(options);
  return SendClerkRequest(options, request, [&options](const ControlReply& reply) {
    return "answered case " + reply.problem.case_no + " with " + ResolutionWithLabel(options.resolution);
  });
}

}  // namespace station
