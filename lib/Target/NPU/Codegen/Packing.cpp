//===- Packing.cpp - Weights in the order and layout the schedule reads ---===//
#include "tessel/Target/NPU/Codegen/Packing.h"
#include "LowerCommon.h"

#include <cstring>

namespace tessel::npu::cg {

using detail::alignUp;

namespace {

/// Output channels, bytes of one output channel's weights, and the constant
/// tensors of a conv or matmul.
struct WeightShape {
  int64_t channels = 0;
  uint64_t rowBytes = 0; ///< One output channel's weights.
  TensorId weights = kNoTensor, table = kNoTensor, bias = kNoTensor;
  bool transposed = false; ///< Matmul B stored [K][N].
  int64_t k = 0;           ///< Matmul K.
  DType outType = DType::I8;
};

WeightShape weightShape(const LayerGraph &g, const Layer &l) {
  WeightShape s;
  s.outType = g.tensor(l.output).dtype;
  if (l.kind == LayerKind::Conv) {
    const auto &p = l.as<ConvParams>();
    const Tensor &w = g.tensor(l.inputs[1]);
    s.channels = w.shape[0];
    s.rowBytes = w.bytes() / w.shape[0];
    s.weights = l.inputs[1];
    if (p.requant && l.inputs.size() > 2)
      s.table = l.inputs[2];
    s.bias = p.epilogue.bias;
    return s;
  }
  const auto &p = l.as<MatmulParams>();
  const Tensor &b = g.tensor(l.inputs[1]);
  int64_t r = static_cast<int64_t>(b.shape.size());
  s.channels = p.transB ? b.shape[r - 1] : b.shape[r - 2];
  s.k = p.transB ? b.shape[r - 2] : b.shape[r - 1];
  s.rowBytes = static_cast<uint64_t>(s.k) * dtypeBytes(b.dtype);
  s.weights = l.inputs[1];
  s.transposed = p.transB;
  if (p.requant && l.inputs.size() > 2)
    s.table = l.inputs[2];
  s.bias = p.epilogue.bias;
  return s;
}

int64_t tileChannels(const LayerGraph &g, const Layer &l, const TilePlan &p) {
  int64_t n = weightShape(g, l).channels;
  return p.cols > 0 && p.cols < n ? p.cols : n;
}

} // namespace

bool hasPackedWeights(const LayerGraph &graph, const Layer &layer) {
  if (layer.kind == LayerKind::Conv)
    return true;
  return layer.kind == LayerKind::Matmul && layer.inputs.size() > 1 &&
         graph.tensor(layer.inputs[1]).isConstant;
}

uint32_t packedTileAlign(const ChipModel &chip) {
  return std::max<uint32_t>(
      {chip.alignWeight, chip.alignVector, kRequantEntryBytes, 4});
}

PackedTile packedTileLayout(const ChipModel &chip, const LayerGraph &graph,
                            const Layer &layer, int64_t count) {
  WeightShape s = weightShape(graph, layer);
  PackedTile t;
  t.weightBytes = s.rowBytes * count;
  uint64_t end = t.weightBytes;
  t.tableOffset = alignUp(end, kRequantEntryBytes);
  if (s.table != kNoTensor)
    end = t.tableOffset + kRequantEntryBytes * count;
  t.biasOffset = alignUp(end, std::max<uint32_t>(chip.alignVector, 4));
  if (s.bias != kNoTensor)
    end = t.biasOffset + dtypeBytes(s.outType) * count;
  t.bytes = end;
  return t;
}

StatusOr<WeightImage> packWeights(const ChipModel &chip,
                                  const LayerGraph &graph,
                                  const std::vector<TilePlan> &plans) {
  WeightImage img;
  img.constOffset.assign(graph.tensors.size(), -1);
  img.layerTiles.resize(graph.layers.size());
  auto place = [&](const uint8_t *data, uint64_t n) {
    uint64_t off = alignUp(img.bytes.size(), 64);
    img.bytes.resize(off + n, 0);
    if (n)
      std::memcpy(img.bytes.data() + off, data, n);
    return off;
  };
  // Constants that packed tiles fully replace are not stored again.
  std::vector<bool> packedOnly(graph.tensors.size(), false);
  std::vector<bool> usedElsewhere(graph.tensors.size(), false);
  for (size_t li = 0; li < graph.layers.size(); ++li) {
    const Layer &l = graph.layers[li];
    bool packed = hasPackedWeights(graph, l);
    for (size_t i = 0; i < l.inputs.size(); ++i) {
      TensorId id = l.inputs[i];
      bool inTile = packed && i >= 1;
      if (inTile)
        packedOnly[id] = true;
      else
        usedElsewhere[id] = true;
    }
    if (packed) {
      WeightShape s = weightShape(graph, l);
      if (s.bias != kNoTensor)
        packedOnly[s.bias] = true;
    }
    // Float epilogue biases of other layers, LUTs and tables are inputs.
  }
  for (size_t li = 0; li < graph.layers.size(); ++li) {
    const Layer &l = graph.layers[li];
    if (!hasPackedWeights(graph, l))
      continue;
    if (li >= plans.size())
      return StatusOr<WeightImage>::error("no tile plan for layer '" + l.name +
                                          "'");
    WeightShape s = weightShape(graph, l);
    const Tensor &w = graph.tensor(s.weights);
    int64_t tc = tileChannels(graph, l, plans[li]);
    for (int64_t c0 = 0; c0 < s.channels; c0 += tc) {
      int64_t n = std::min(tc, s.channels - c0);
      PackedTile t = packedTileLayout(chip, graph, l, n);
      std::vector<uint8_t> tile(t.bytes, 0);
      if (s.transposed) {
        // [K][N] -> rows c0..c0+n of [N][K].
        unsigned es = dtypeBytes(w.dtype);
        int64_t N = s.channels;
        for (int64_t j = 0; j < n; ++j)
          for (int64_t k = 0; k < s.k; ++k)
            std::memcpy(tile.data() + (j * s.k + k) * es,
                        w.data.data() + (k * N + c0 + j) * es, es);
      } else {
        std::memcpy(tile.data(), w.data.data() + c0 * s.rowBytes,
                    n * s.rowBytes);
      }
      if (s.table != kNoTensor)
        std::memcpy(tile.data() + t.tableOffset,
                    graph.tensor(s.table).data.data() + c0 * kRequantEntryBytes,
                    n * kRequantEntryBytes);
      if (s.bias != kNoTensor) {
        unsigned bs = dtypeBytes(s.outType);
        std::memcpy(tile.data() + t.biasOffset,
                    graph.tensor(s.bias).data.data() + c0 * bs, n * bs);
      }
      t.offset = place(tile.data(), tile.size());
      img.layerTiles[li].push_back(t);
    }
  }
  for (size_t id = 0; id < graph.tensors.size(); ++id) {
    const Tensor &t = graph.tensors[id];
    if (!t.isConstant || (packedOnly[id] && !usedElsewhere[id]))
      continue;
    img.constOffset[id] =
        static_cast<int64_t>(place(t.data.data(), t.data.size()));
  }
  img.bytes.resize(alignUp(img.bytes.size(), 64), 0);
  return img;
}

StatusOr<std::vector<uint8_t>> unpackWeights(const ChipModel &chip,
                                             const LayerGraph &graph,
                                             const WeightImage &image,
                                             size_t layerIndex,
                                             const TilePlan &plan) {
  const Layer &l = graph.layers[layerIndex];
  if (!hasPackedWeights(graph, l))
    return StatusOr<std::vector<uint8_t>>::error("layer '" + l.name +
                                                 "' has no packed weights");
  WeightShape s = weightShape(graph, l);
  int64_t tc = tileChannels(graph, l, plan);
  std::vector<uint8_t> out(s.rowBytes * s.channels, 0);
  const auto &tiles = image.layerTiles[layerIndex];
  size_t ti = 0;
  for (int64_t c0 = 0; c0 < s.channels; c0 += tc, ++ti) {
    if (ti >= tiles.size())
      return StatusOr<std::vector<uint8_t>>::error("missing tiles");
    int64_t n = std::min(tc, s.channels - c0);
    const PackedTile &t = tiles[ti];
    if (t.offset + n * s.rowBytes > image.bytes.size())
      return StatusOr<std::vector<uint8_t>>::error("a tile leaves the image");
    std::memcpy(out.data() + c0 * s.rowBytes, image.bytes.data() + t.offset,
                n * s.rowBytes);
  }
  (void)chip;
  return out;
}

} // namespace tessel::npu::cg
