#pragma once
// Keys as the clerk reads them: the key, then its Chinese label
// ("wrong_phone 电话错误/空号"). An unknown key (another station's newer
// word) is shown as it is, and has no label.

#include <string>

namespace station {

// DESIGN §4 problem reasons.
std::string ReasonLabelOf(const std::string& key);    // "电话错误/空号"; "" when unknown
std::string ReasonWithLabel(const std::string& key);  // "wrong_phone 电话错误/空号"
// DESIGN §4 resolutions.
std::string ResolutionLabelOf(const std::string& key);    // "更新电话"; "" when unknown
std::string ResolutionWithLabel(const std::string& key);  // "new_phone 更新电话"

}  // namespace station
