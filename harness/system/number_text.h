// Numbers as people write them in svcbench's messages and tables: "86,400", "105,568", "0.5".
#pragma once

#include <string>

namespace svcbench {

// Rounded to a whole number, digits grouped by thousands: 104383.6 -> "104,384".
std::string grouped_integer(double value);
// A whole number grouped as above; anything else in %g form ("0.5", "1e-09").
std::string number_text(double value);

}  // namespace svcbench
