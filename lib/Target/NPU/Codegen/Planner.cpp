//===- Planner.cpp - Tiling, VTCM residency and memory allocation ---------===//
#include "tessel/Target/NPU/Codegen/Planner.h"
#include "LowerCommon.h"
#include "tessel/Target/NPU/Codegen/Lowering.h"
#include "tessel/Target/NPU/Codegen/Packing.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace tessel::npu::cg {

using detail::alignUp;

/// The heuristic's number of fitting candidates to compare.
constexpr unsigned kHeuristicFits = 8;

namespace {

struct Use {
  int layer;
  int operand; ///< Index into Layer::inputs; -1 for the output.
};

struct Storage {
  int producer = -1;
  std::vector<Use> uses;
  std::vector<TensorId> views;
  bool eligible = false;
  Placement place;
  uint64_t bytes = 0;
  int lastUse = -1;
};

bool inPlaceCapable(const LayerGraph &g, const Layer &l, int operand) {
  switch (l.kind) {
  case LayerKind::Conv:
  case LayerKind::Matmul:
    return operand <= 0;
  case LayerKind::Pool:
  case LayerKind::Reduce:
  case LayerKind::Transpose:
    return true;
  case LayerKind::Eltwise:
    return operand < 2;
  case LayerKind::Act:
  case LayerKind::Convert:
    return operand < 1;
  case LayerKind::Concat:
  case LayerKind::Slice:
  case LayerKind::Pad:
    return false;
  }
  (void)g;
  return false;
}

/// Per storage tensor: its producer, its uses (through aliases), whether it
/// may live in VTCM and with which row pitch.
std::vector<Storage> analyze(const ChipModel &chip, const LayerGraph &g,
                             bool residency, uint32_t cores) {
  std::vector<Storage> st(g.tensors.size());
  for (size_t i = 0; i < g.tensors.size(); ++i)
    st[g.storageOf(static_cast<TensorId>(i))].views.push_back(
        static_cast<TensorId>(i));
  for (size_t li = 0; li < g.layers.size(); ++li) {
    const Layer &l = g.layers[li];
    for (size_t k = 0; k < l.inputs.size(); ++k) {
      TensorId s = g.storageOf(l.inputs[k]);
      st[s].uses.push_back({static_cast<int>(li), static_cast<int>(k)});
      st[s].lastUse = static_cast<int>(li);
    }
    TensorId s = g.storageOf(l.output);
    st[s].producer = static_cast<int>(li);
    st[s].uses.push_back({static_cast<int>(li), -1});
    st[s].lastUse = std::max(st[s].lastUse, static_cast<int>(li));
  }
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    Storage &s = st[i];
    const Tensor &t = g.tensors[i];
    s.bytes = t.bytes();
    if (t.aliasOf != kNoTensor || t.isConstant || t.isInput || t.isOutput ||
        s.producer < 0 || !residency || (cores > 1 && !chip.supportsOp("copy")))
      continue;
    bool ok = true, spatial = false, matrix = false, denseOnly = false;
    for (TensorId v : s.views)
      if (g.tensor(v).shape != t.shape)
        denseOnly = true;
    for (const Use &u : s.uses) {
      const Layer &l = g.layers[u.layer];
      ok &= inPlaceCapable(g, l, u.operand);
      if (l.kind == LayerKind::Conv || l.kind == LayerKind::Pool)
        spatial = true;
      if (l.kind == LayerKind::Matmul)
        matrix = true;
      if (l.kind == LayerKind::Reduce || l.kind == LayerKind::Transpose)
        denseOnly = true;
    }
    if (!ok)
      continue;
    s.eligible = true;
    uint64_t es = dtypeBytes(t.dtype);
    uint32_t a = spatial  ? chip.alignActivation
                 : matrix ? chip.alignActivation
                          : chip.alignVector;
    if (denseOnly || (spatial && matrix) || a <= 1)
      continue;
    int rowDims = spatial && t.shape.size() == 4
                      ? 2
                      : static_cast<int>(t.shape.size()) - 1;
    if (rowDims <= 0)
      continue;
    int64_t rows = 1, inner = 1;
    for (int d = 0; d < rowDims; ++d)
      rows *= t.shape[d];
    for (size_t d = rowDims; d < t.shape.size(); ++d)
      inner *= t.shape[d];
    uint64_t rowBytes = inner * es;
    if (rowBytes % a == 0 || rows == 1)
      continue;
    uint64_t pitch = alignUp(rowBytes, a);
    // Padding rows costs VTCM; keep it when it stays reasonable.
    if (pitch > rowBytes * 2)
      continue;
    s.place.pitch = pitch;
    s.place.rowDims = rowDims;
    s.bytes = rows * pitch;
  }
  return st;
}

/// An item to pack: a size and a live range.
struct Item {
  uint64_t bytes;
  uint32_t align;
  int64_t begin, end; ///< Inclusive.
  uint64_t addr = 0;
  int storage = -1; ///< Tensor (resident) or -1 (layer buffer).
  int layer = -1;
  int req = -1;
};

/// Greedy offline packing, largest first; returns the peak (end of the
/// highest item).
uint64_t pack(std::vector<Item> &items) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (items[a].bytes != items[b].bytes)
      return items[a].bytes > items[b].bytes;
    return items[a].begin < items[b].begin;
  });
  std::vector<size_t> placed;
  uint64_t peak = 0;
  for (size_t i : order) {
    Item &it = items[i];
    // Candidate addresses: 0 and the ends of overlapping placed items.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (size_t j : placed) {
      const Item &o = items[j];
      if (o.end < it.begin || it.end < o.begin)
        continue;
      busy.push_back({o.addr, o.addr + o.bytes});
    }
    std::sort(busy.begin(), busy.end());
    uint64_t addr = 0;
    for (auto [b, e] : busy) {
      uint64_t a = alignUp(addr, it.align);
      if (a + it.bytes <= b)
        break;
      addr = std::max(addr, e);
    }
    it.addr = alignUp(addr, it.align);
    peak = std::max(peak, it.addr + it.bytes);
    placed.push_back(i);
  }
  return peak;
}

struct Planning {
  const ChipModel &chip;
  const LayerGraph &g;
  const PlanOptions &opt;
  std::vector<Storage> st;
  std::vector<Placement> places;
  uint64_t limit = 0;

  PlanContext ctxFor(const Layer &l, uint32_t cores) const {
    PlanContext c{chip, g, l, places};
    c.maxCores = cores;
    c.maxChannelCores = std::min(opt.maxChannelCores, cores);
    c.multicastWeights = opt.multicastWeights && chip.multicast;
    c.splitBytes = opt.splitBytes;
    c.overlapSplit = opt.overlapSplit;
    return c;
  }

  /// Prefetched buffers are loaded right after the previous layer's first
  /// compute instruction (Codegen.cpp), so they live through all of it.
  int64_t beginOf(int layer, bool early) const {
    return 2 * static_cast<int64_t>(layer) - (early ? 2 : 0);
  }
  int64_t endOf(int layer) const {
    return 2 * static_cast<int64_t>(layer) + 1 +
           2 * static_cast<int64_t>(opt.deallocDelay);
  }

  /// Resident bytes live during layer l.
  uint64_t residentAt(int l) const {
    uint64_t sum = 0;
    for (size_t i = 0; i < st.size(); ++i) {
      const Storage &s = st[i];
      if (!places[i].vtcm || s.producer < 0)
        continue;
      int64_t b = 2 * s.producer, e = endOf(s.lastUse);
      if (b <= 2 * l + 1 && 2 * l <= e)
        sum += alignUp(s.bytes, residentAlign());
    }
    return sum;
  }
  uint32_t residentAlign() const {
    return std::max<uint32_t>(
        {chip.alignActivation, chip.alignVector, chip.alignWeight, 64});
  }
};

/// Packs the resident tensors and every layer's tile buffers into VTCM by
/// their live ranges; returns the peak and the items (with addresses).
uint64_t packVtcm(const Planning &P, const NpuPlan &plan,
                  std::vector<Item> &items) {
  items.clear();
  for (size_t i = 0; i < P.st.size(); ++i) {
    const Storage &s = P.st[i];
    if (!P.places[i].vtcm || s.producer < 0)
      continue;
    items.push_back({s.bytes, P.residentAlign(), 2 * int64_t(s.producer),
                     P.endOf(s.lastUse), 0, static_cast<int>(i), -1, -1});
  }
  for (size_t li = 0; li < P.g.layers.size(); ++li) {
    PlanContext pc = P.ctxFor(P.g.layers[li], plan.tiles[li].cores);
    std::vector<BufferReq> reqs = layerBuffers(pc, plan.tiles[li]);
    for (size_t r = 0; r < reqs.size(); ++r)
      items.push_back({std::max<uint64_t>(reqs[r].bytes, 1), reqs[r].align,
                       P.beginOf(static_cast<int>(li), reqs[r].early),
                       P.endOf(static_cast<int>(li)), 0, -1,
                       static_cast<int>(li), static_cast<int>(r)});
  }
  return pack(items);
}

/// Records the packed addresses.
void applyVtcm(Planning &P, NpuPlan &plan, const std::vector<Item> &items,
               uint64_t peak) {
  plan.buffers.assign(P.g.layers.size(), {});
  for (size_t li = 0; li < P.g.layers.size(); ++li) {
    PlanContext pc = P.ctxFor(P.g.layers[li], plan.tiles[li].cores);
    plan.buffers[li].assign(layerBuffers(pc, plan.tiles[li]).size(), 0);
  }
  for (const Item &it : items) {
    if (it.storage >= 0)
      P.places[it.storage].addr = it.addr;
    else
      plan.buffers[it.layer][it.req] = it.addr;
  }
  plan.vtcmPeak = peak;
}

/// DDR scratch for the intermediates that stay in DDR, aliases, the plan's
/// placements.
void packDdr(Planning &P, NpuPlan &plan) {
  const LayerGraph &graph = P.g;
  std::vector<Item> items;
  for (size_t i = 0; i < P.st.size(); ++i) {
    const Storage &s = P.st[i];
    const Tensor &t = graph.tensors[i];
    if (P.places[i].vtcm || s.producer < 0 || t.aliasOf != kNoTensor ||
        t.isConstant || t.isInput || t.isOutput)
      continue;
    items.push_back({t.bytes(), 64, 2 * int64_t(s.producer),
                     2 * int64_t(s.lastUse) + 1, 0, static_cast<int>(i), -1,
                     -1});
  }
  uint64_t peak = pack(items);
  for (const Item &it : items) {
    P.places[it.storage] = Placement{};
    P.places[it.storage].addr = P.opt.ddrScratchBase + it.addr;
  }
  plan.ddrScratchBytes = alignUp(peak, 64);
  // Aliases share their storage's placement.
  for (size_t i = 0; i < graph.tensors.size(); ++i)
    if (graph.tensors[i].aliasOf != kNoTensor)
      P.places[i] = P.places[graph.storageOf(static_cast<TensorId>(i))];
  plan.placements = P.places;
}

Status checkOptions(const ChipModel &chip, const PlanOptions &opt) {
  if (opt.cores == 0 || opt.cores > chip.cores)
    return Status::error("--cores=" + std::to_string(opt.cores) +
                         " is outside [1, " + std::to_string(chip.cores) +
                         "] (chip " + chip.name + " has " +
                         std::to_string(chip.cores) + " core" +
                         (chip.cores == 1 ? "" : "s") + ")");
  if (!(opt.vtcmLimitPercent > 0 && opt.vtcmLimitPercent <= 100))
    return Status::error("--vtcm-limit-percent must be in (0, 100]");
  return Status::ok();
}

Status setIo(Planning &P, const std::vector<Placement> &ioPlacements) {
  P.places.assign(P.g.tensors.size(), Placement{});
  for (size_t i = 0; i < P.g.tensors.size(); ++i) {
    const Tensor &t = P.g.tensors[i];
    if ((t.isInput || t.isOutput) && t.aliasOf == kNoTensor) {
      if (i >= ioPlacements.size() || ioPlacements[i].vtcm)
        return Status::error("tensor '" + t.name + "' has no DDR placement");
      P.places[i] = ioPlacements[i];
    }
  }
  return Status::ok();
}

uint64_t limitOf(const ChipModel &chip, const PlanOptions &opt) {
  return static_cast<uint64_t>(chip.usableVtcmBytes() * opt.vtcmLimitPercent /
                               100.0);
}

} // namespace

std::vector<Placement> initialResidency(const ChipModel &chip,
                                        const LayerGraph &graph,
                                        const PlanOptions &opt) {
  std::vector<Storage> st = analyze(chip, graph, opt.residency, opt.cores);
  uint64_t limit = limitOf(chip, opt);
  std::vector<Placement> out(graph.tensors.size());
  for (size_t i = 0; i < st.size(); ++i)
    if (st[i].eligible && st[i].bytes <= limit / 2) {
      out[i].vtcm = true;
      out[i].pitch = st[i].place.pitch;
      out[i].rowDims = st[i].place.rowDims;
    }
  return out;
}

Status allocateMemory(const ChipModel &chip, const LayerGraph &graph,
                      const std::vector<Placement> &ioPlacements,
                      const PlanOptions &opt, NpuPlan &plan) {
  if (Status s = graph.verify(); !s)
    return s;
  if (Status s = checkOptions(chip, opt); !s)
    return s;
  if (plan.tiles.size() != graph.layers.size())
    return Status::error("the segment has no tiling (run tessel-npu-split)");
  Planning P{chip, graph,
             opt,  analyze(chip, graph, opt.residency, opt.cores),
             {},   limitOf(chip, opt)};
  if (Status s = setIo(P, ioPlacements); !s)
    return s;
  for (size_t i = 0; i < graph.tensors.size() && i < plan.placements.size();
       ++i)
    if (plan.placements[i].vtcm && graph.tensors[i].aliasOf == kNoTensor) {
      if (!P.st[i].eligible)
        return Status::error("tensor '" + graph.tensors[i].name +
                             "' cannot stay in VTCM");
      P.places[i].vtcm = true;
      P.places[i].pitch = P.st[i].place.pitch;
      P.places[i].rowDims = P.st[i].place.rowDims;
    }
  std::vector<Item> items;
  uint64_t peak = packVtcm(P, plan, items);
  if (peak > P.limit)
    return Status::error("the resident tensors and tile buffers do not fit "
                         "the VTCM budget of " +
                         std::to_string(P.limit) + " bytes (" +
                         std::to_string(peak) + " needed)");
  applyVtcm(P, plan, items, peak);
  packDdr(P, plan);
  plan.weightsBase = opt.weightsBase;
  return Status::ok();
}

StatusOr<NpuPlan> planGraph(const ChipModel &chip, const LayerGraph &graph,
                            const std::vector<Placement> &ioPlacements,
                            const PlanOptions &opt, PlanReport *report,
                            const std::vector<Placement> *residency) {
  using R = StatusOr<NpuPlan>;
  if (Status s = graph.verify(); !s)
    return R(s);
  if (Status s = checkOptions(chip, opt); !s)
    return R(s);
  Planning P{chip, graph,
             opt,  analyze(chip, graph, opt.residency, opt.cores),
             {},   limitOf(chip, opt)};
  if (Status s = setIo(P, ioPlacements); !s)
    return R(s);
  // Start from the given residency, or with every eligible tensor resident
  // that is not bigger than half the budget.
  std::vector<Placement> initial =
      residency ? *residency : initialResidency(chip, graph, opt);
  for (size_t i = 0; i < P.st.size() && i < initial.size(); ++i)
    if (P.st[i].eligible && initial[i].vtcm) {
      P.places[i].vtcm = true;
      P.places[i].pitch = P.st[i].place.pitch;
      P.places[i].rowDims = P.st[i].place.rowDims;
    }

  if (opt.solver != "auto" && opt.solver != "exhaustive" &&
      opt.solver != "heuristic")
    return R::error("unknown tiling solver '" + opt.solver +
                    "' (expected auto, exhaustive or heuristic)");
  auto searchStart = std::chrono::steady_clock::now();
  PlanReport local;
  PlanReport &rep = report ? *report : local;
  size_t L = graph.layers.size();
  NpuPlan plan;
  // Per layer: the most VTCM its prefetched (early) buffers may take, when
  // the previous layer needs the room.
  std::vector<uint64_t> earlyCap(L + 1, UINT64_MAX);
  uint64_t failSmallest = 0, failReserve = 0, failShort = 0;
  // What tiling may assume of VTCM; lowered when the packing loses room to
  // fragmentation.
  uint64_t tilingLimit = P.limit;
  // Where the next attempt starts: L replans everything; after an eviction
  // for a failing layer, the layers after it that neither read nor write an
  // evicted tensor keep their plans (their budgets only grew).
  size_t resumeFrom = L;
  std::vector<uint64_t> earlyBytes(L + 1, 0);
  for (unsigned attempt = 0;; ++attempt) {
    if (resumeFrom >= L) {
      plan = NpuPlan{};
      plan.tiles.assign(L, TilePlan{});
      rep.layers.assign(L, LayerPlanReport{});
      earlyBytes.assign(L + 1, 0);
    }
    std::string failure;
    int failLayer = -1;
    // Plan from the last layer back: each layer leaves room for the next
    // one's prefetched weights.
    for (size_t li = resumeFrom; li-- > 0;) {
      earlyBytes[li] = 0;
      double elapsedMs = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - searchStart)
                             .count();
      bool heuristic = opt.solver == "heuristic" ||
                       (opt.solver == "auto" && elapsedMs > opt.searchBudgetMs);
      const Layer &l = graph.layers[li];
      uint64_t resident = P.residentAt(static_cast<int>(li));
      uint64_t reserve = earlyBytes[li + 1];
      uint64_t budget = tilingLimit > resident + reserve
                            ? tilingLimit - resident - reserve
                            : 0;
      // The slack the packing may lose to alignment.
      uint64_t slack = 4 * P.residentAlign();
      budget = budget > slack ? budget - slack : 0;
      const TilePlan *best = nullptr;
      LayerCost bestCost;
      std::vector<TilePlan> cands;
      uint64_t smallest = UINT64_MAX, smallestTile = UINT64_MAX;
      // A layer that fits only the full budget (not the one lowered for
      // fragmentation) gets the full budget.
      for (int widen = 0; widen < 2 && !best; ++widen) {
        if (widen) {
          if (tilingLimit >= P.limit)
            break;
          budget = P.limit > resident + reserve + slack
                       ? P.limit - resident - reserve - slack
                       : 0;
        }
        for (uint32_t cores = opt.cores; cores >= 1; cores /= 2) {
          PlanContext pc = P.ctxFor(l, cores);
          cands = candidateTiles(pc);
          best = nullptr;
          if (opt.wholeLayers) {
            std::vector<TilePlan> whole;
            for (TilePlan &c : cands)
              if (c.cores == 1 && layerCost(pc, c).tiles == 1)
                whole.push_back(c);
            cands = whole;
          }
          // The heuristic tries big tiles first and stops after a few fits.
          if (heuristic)
            std::stable_sort(cands.begin(), cands.end(),
                             [](const TilePlan &a, const TilePlan &b) {
                               auto vol = [](const TilePlan &t) {
                                 return (t.rows ? t.rows : INT32_MAX) *
                                        (t.cols ? t.cols : INT32_MAX);
                               };
                               return vol(a) > vol(b);
                             });
          unsigned fits = 0;
          for (TilePlan &c : cands) {
            if (heuristic && fits >= kHeuristicFits)
              break;
            std::vector<BufferReq> reqs = layerBuffers(pc, c);
            c.vtcmBytes = workingSet(reqs);
            smallest = std::min(smallest, c.vtcmBytes);
            // --split-size bounds the activation tiles (weights tiles are
            // bounded by the budget alone).
            uint64_t biggest = 0;
            for (const BufferReq &b : reqs)
              if (b.role.compare(0, 2, "wt") != 0)
                biggest = std::max(biggest, b.bytes);
            smallestTile = std::min(smallestTile, biggest);
            if (opt.splitBytes && biggest > opt.splitBytes)
              continue;
            if (c.vtcmBytes > budget)
              continue;
            if (earlyCap[li] != UINT64_MAX) {
              uint64_t early = 0;
              for (const BufferReq &b : reqs)
                if (b.early)
                  early += alignUp(b.bytes, b.align);
              if (early > earlyCap[li])
                continue;
            }
            ++fits;
            LayerCost cost = layerCost(pc, c);
            c.estCycles = cost.cycles;
            c.estDdrBytes = cost.ddrBytes;
            c.numTiles = cost.tiles;
            bool better = !best || cost.cycles < bestCost.cycles ||
                          (cost.cycles == bestCost.cycles &&
                           (cost.ddrBytes < bestCost.ddrBytes ||
                            (cost.ddrBytes == bestCost.ddrBytes &&
                             c.vtcmBytes < best->vtcmBytes)));
            if (better) {
              best = &c;
              bestCost = cost;
            }
          }
          if (best || cores == 1)
            break;
        }
      }
      LayerPlanReport &lr = rep.layers[li];
      lr.layer = l.name;
      lr.candidates = cands.size();
      lr.budget = budget;
      if (!best) {
        failLayer = static_cast<int>(li);
        if (cands.empty())
          failure = "layer '" + l.name + "' (" + layerKindName(l.kind) +
                    "): no tiling satisfies the chip's alignment and "
                    "instruction limits";
        else if (opt.splitBytes && smallestTile > opt.splitBytes)
          failure = "layer '" + l.name + "' (" + layerKindName(l.kind) +
                    "): --split-size=" + std::to_string(opt.splitBytes) +
                    " bytes is smaller than its smallest tile (" +
                    std::to_string(smallestTile) + " bytes)";
        else
          failure =
              "layer '" + l.name + "' (" + layerKindName(l.kind) +
              "): no tiling fits the VTCM budget: the smallest needs " +
              std::to_string(smallest) + " bytes, but only " +
              std::to_string(budget) + " of the " + std::to_string(P.limit) +
              " bytes allowed (--vtcm-limit-percent=" +
              std::to_string(static_cast<int>(opt.vtcmLimitPercent)) +
              ") are free next to " + std::to_string(resident) +
              " resident and " + std::to_string(reserve) + " prefetched bytes";
        failSmallest = smallest;
        failShort =
            smallest != UINT64_MAX && smallest > budget ? smallest - budget : 0;
        failReserve = reserve;
        break;
      }
      TilePlan chosen = *best;
      chosen.solver = heuristic ? "heuristic" : "exhaustive";
      plan.tiles[li] = chosen;
      lr.solver = chosen.solver;
      lr.cycles = bestCost.cycles;
      lr.ddrBytes = bestCost.ddrBytes;
      lr.macs = bestCost.macs;
      lr.vtcmBytes = chosen.vtcmBytes;
      PlanContext pc = P.ctxFor(l, chosen.cores);
      for (const BufferReq &b : layerBuffers(pc, chosen))
        if (b.early)
          earlyBytes[li] += alignUp(b.bytes, b.align);
    }
    // Evicts the largest resident tensors live at `layer` (or anywhere)
    // until `need` bytes are free (at least one tensor): one attempt per
    // shortfall, not one per tensor (a small VTCM would otherwise replan
    // the whole graph once for every tensor it cannot keep).
    resumeFrom = L;
    // The last layer that uses an evicted tensor.
    int lastEvictedUse = -1;
    auto evict = [&](int layer, uint64_t need = 0) -> bool {
      uint64_t freed = 0;
      bool any = false;
      do {
        int victim = -1;
        for (size_t i = 0; i < P.st.size(); ++i) {
          if (!P.places[i].vtcm || P.st[i].producer < 0)
            continue;
          const Storage &s = P.st[i];
          bool live = layer < 0 ||
                      (s.producer <= layer &&
                       layer <= s.lastUse + static_cast<int>(opt.deallocDelay));
          if (live && (victim < 0 || s.bytes > P.st[victim].bytes))
            victim = static_cast<int>(i);
        }
        if (victim < 0)
          break;
        P.places[victim] = Placement{};
        ++rep.evictions;
        lastEvictedUse = std::max(lastEvictedUse, P.st[victim].lastUse);
        freed += alignUp(P.st[victim].bytes, P.residentAlign());
        any = true;
      } while (freed < need);
      return any;
    };
    if (failLayer >= 0) {
      // Free VTCM around the failing layer, or give up.
      bool touched = false;
      const Layer &fl = graph.layers[failLayer];
      std::vector<TensorId> ops(fl.inputs);
      ops.push_back(fl.output);
      for (TensorId id : ops) {
        TensorId s = graph.storageOf(id);
        if (P.places[s].vtcm &&
            failure.find("alignment") != std::string::npos) {
          P.places[s] = Placement{};
          ++rep.evictions;
          touched = true;
        }
      }
      if (touched) // Its operands' other layers must replan too.
        continue;
      if (evict(failLayer, failShort)) {
        resumeFrom = std::min<size_t>(
            L, static_cast<size_t>(std::max(failLayer, lastEvictedUse)) + 1);
        continue;
      }
      // The next layer's prefetched weights take the room: plan it with
      // smaller weight tiles (down to none prefetched beyond what fits).
      size_t next = static_cast<size_t>(failLayer) + 1;
      if (failReserve > 0 && next < L && failSmallest != UINT64_MAX) {
        uint64_t room = P.limit > failSmallest + 4 * P.residentAlign() +
                                      P.residentAt(failLayer)
                            ? P.limit - failSmallest - 4 * P.residentAlign() -
                                  P.residentAt(failLayer)
                            : 0;
        if (room < failReserve && room < earlyCap[next]) {
          earlyCap[next] = room;
          continue;
        }
      }
      return R::error(failure);
    }
    // Pack VTCM.
    std::vector<Item> items;
    uint64_t peak = packVtcm(P, plan, items);
    if (peak > P.limit) {
      // The fullest step decides which resident tensor leaves.
      std::map<int64_t, uint64_t> use;
      for (const Item &it : items)
        for (int64_t t = it.begin; t <= it.end; ++t)
          use[t] += it.bytes;
      int64_t worst = 0;
      uint64_t most = 0;
      for (auto [t, b] : use)
        if (b > most)
          most = b, worst = t;
      if (!evict(static_cast<int>(std::max<int64_t>(0, worst) / 2),
                 most - P.limit) &&
          !evict(-1)) {
        // Nothing left to evict: tile for less VTCM than there is.
        if (tilingLimit > P.limit / 4) {
          tilingLimit = tilingLimit / 10 * 9;
          continue;
        }
        return R::error("the tile buffers do not fit the VTCM budget of " +
                        std::to_string(P.limit) + " bytes after packing (" +
                        std::to_string(peak) + " needed)");
      }
      continue;
    }
    applyVtcm(P, plan, items, peak);
    // With addresses known, re-check in-place alignment of the chosen plans
    // (planning assumed resident bases at 0, which the packing's alignment
    // preserves).
    break;
  }
  packDdr(P, plan);
  auto img = packWeights(chip, graph, plan.tiles);
  if (!img)
    return R(img.status());
  plan.weights = img.take();
  plan.weightsBase = opt.weightsBase;
  rep.residentTensors = rep.ddrTensors = 0;
  rep.residentBytes = 0;
  for (size_t i = 0; i < P.st.size(); ++i) {
    const Tensor &t = graph.tensors[i];
    if (t.isConstant || t.aliasOf != kNoTensor || P.st[i].producer < 0)
      continue;
    if (P.places[i].vtcm) {
      ++rep.residentTensors;
      rep.residentBytes += P.st[i].bytes;
    } else {
      ++rep.ddrTensors;
    }
  }
  return plan;
}

std::vector<AllocItem> vtcmAllocation(const ChipModel &chip,
                                      const LayerGraph &graph,
                                      const NpuPlan &plan,
                                      const PlanOptions &opt) {
  std::vector<AllocItem> out;
  Planning P{chip,
             graph,
             opt,
             analyze(chip, graph, opt.residency, opt.cores),
             plan.placements,
             0};
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const Tensor &t = graph.tensors[i];
    if (t.aliasOf != kNoTensor || !plan.placements[i].vtcm ||
        P.st[i].producer < 0)
      continue;
    out.push_back({t.name, plan.placements[i].addr, P.st[i].bytes,
                   2 * int64_t(P.st[i].producer), P.endOf(P.st[i].lastUse)});
  }
  for (size_t li = 0; li < graph.layers.size(); ++li) {
    PlanContext pc = P.ctxFor(graph.layers[li], plan.tiles[li].cores);
    std::vector<BufferReq> reqs = layerBuffers(pc, plan.tiles[li]);
    for (size_t r = 0; r < reqs.size() && r < plan.buffers[li].size(); ++r)
      out.push_back({graph.layers[li].name + "." + reqs[r].role,
                     plan.buffers[li][r], reqs[r].bytes,
                     P.beginOf(static_cast<int>(li), reqs[r].early),
                     P.endOf(static_cast<int>(li))});
  }
  return out;
}

} // namespace tessel::npu::cg
