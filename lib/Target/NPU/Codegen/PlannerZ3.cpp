//===- PlannerZ3.cpp - A z3 proof that an allocation has no overlap -------===//
//
// The question asked of z3: is there a moment t, a byte b and two different
// items i, j that are both live at t and both contain b (or one item that
// reaches past the limit)? The items are constants in one disjunction per
// chosen item, so the query is linear integer arithmetic; "unsat" is the
// proof.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/NPU/Codegen/Planner.h"

#include <z3++.h>

namespace tessel::npu::cg {

Status proveNoOverlap(const std::vector<AllocItem> &items, uint64_t limit) {
  try {
    z3::context c;
    z3::solver s(c);
    z3::expr t = c.int_const("t"), b = c.int_const("b");
    z3::expr k1 = c.int_const("i"), k2 = c.int_const("j");
    z3::expr_vector pick1(c), pick2(c);
    auto num = [&](uint64_t v) { return c.int_val(static_cast<int64_t>(v)); };
    auto inum = [&](int64_t v) { return c.int_val(v); };
    z3::expr_vector beyond(c);
    for (size_t i = 0; i < items.size(); ++i) {
      const AllocItem &it = items[i];
      if (it.bytes == 0)
        continue;
      z3::expr holds = inum(it.begin) <= t && t <= inum(it.end) &&
                       num(it.addr) <= b && b < num(it.addr + it.bytes);
      pick1.push_back(k1 == inum(static_cast<int64_t>(i)) && holds);
      pick2.push_back(k2 == inum(static_cast<int64_t>(i)) && holds);
      if (it.addr + it.bytes > limit)
        beyond.push_back(k1 == inum(static_cast<int64_t>(i)));
    }
    if (pick1.empty())
      return Status::ok();
    z3::expr overlap = z3::mk_or(pick1) && z3::mk_or(pick2) && k1 != k2;
    z3::expr outside = beyond.empty() ? c.bool_val(false) : z3::mk_or(beyond);
    s.add(overlap || outside);
    z3::check_result r = s.check();
    if (r == z3::unsat)
      return Status::ok();
    if (r == z3::unknown)
      return Status::error("z3 could not decide the allocation");
    z3::model m = s.get_model();
    int64_t i = m.eval(k1, true).get_numeral_int64();
    int64_t j = m.eval(k2, true).get_numeral_int64();
    auto describe = [&](int64_t k) {
      if (k < 0 || k >= static_cast<int64_t>(items.size()))
        return std::string("?");
      const AllocItem &it = items[k];
      return "'" + it.name + "' [" + std::to_string(it.addr) + ", " +
             std::to_string(it.addr + it.bytes) + ") live " +
             std::to_string(it.begin) + ".." + std::to_string(it.end);
    };
    if (i >= 0 && i < static_cast<int64_t>(items.size()) &&
        items[i].addr + items[i].bytes > limit)
      return Status::error("z3: " + describe(i) + " reaches past the limit " +
                           std::to_string(limit));
    return Status::error(
        "z3: " + describe(i) + " overlaps " + describe(j) + " at step " +
        std::to_string(m.eval(t, true).get_numeral_int64()) + ", byte " +
        std::to_string(m.eval(b, true).get_numeral_int64()));
  } catch (const z3::exception &e) {
    return Status::error(std::string("z3 failed: ") + e.msg());
  }
}

} // namespace tessel::npu::cg
