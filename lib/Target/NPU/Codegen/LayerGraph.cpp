//===- LayerGraph.cpp - The NPU code generator's view of a network --------===//
#include "tessel/Target/NPU/Codegen/LayerGraph.h"

#include <algorithm>

namespace tessel::npu::cg {

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const char *layerKindName(LayerKind k) {
  switch (k) {
  case LayerKind::Conv:
    return "conv";
  case LayerKind::Matmul:
    return "matmul";
  case LayerKind::Eltwise:
    return "eltwise";
  case LayerKind::Act:
    return "act";
  case LayerKind::Pool:
    return "pool";
  case LayerKind::Reduce:
    return "reduce";
  case LayerKind::Convert:
    return "convert";
  case LayerKind::Transpose:
    return "transpose";
  case LayerKind::Concat:
    return "concat";
  case LayerKind::Slice:
    return "slice";
  case LayerKind::Pad:
    return "pad";
  }
  return "?";
}

TensorId LayerGraph::addTensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<TensorId>(tensors.size() - 1);
}

TensorId LayerGraph::addConstant(std::string name, DType dtype,
                                 std::vector<int64_t> shape,
                                 std::vector<uint8_t> data) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.isConstant = true;
  t.data = std::move(data);
  return addTensor(std::move(t));
}

TensorId LayerGraph::storageOf(TensorId id) const {
  while (id >= 0 && tensors[id].aliasOf != kNoTensor)
    id = tensors[id].aliasOf;
  return id;
}

int64_t convOutSize(int64_t in, int k, int stride, int dil, int padBegin,
                    int padEnd) {
  return windowOutSize(in, k, stride, dil, padBegin, padEnd);
}

namespace {

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "x" : "") + std::to_string(s[i]);
  return r + "]";
}

struct Checker {
  const LayerGraph &g;
  const Layer &l;
  bool requireData;
  std::string error;

  bool fail(const std::string &m) {
    if (error.empty())
      error = "layer '" + l.name + "' (" + layerKindName(l.kind) + "): " + m;
    return false;
  }
  const Tensor *in(size_t i) {
    if (i >= l.inputs.size() || l.inputs[i] < 0 ||
        l.inputs[i] >= static_cast<TensorId>(g.tensors.size())) {
      fail("missing input " + std::to_string(i));
      return nullptr;
    }
    return &g.tensor(l.inputs[i]);
  }
  bool rank(const Tensor &t, size_t r, const char *what) {
    if (t.shape.size() != r)
      return fail(std::string(what) + " must have rank " + std::to_string(r) +
                  ", not " + shapeStr(t.shape));
    return true;
  }
  bool fits(int64_t v, int64_t max, const char *what) {
    if (v < 1 || v > max)
      return fail(std::string(what) + " is " + std::to_string(v) +
                  ", outside the instruction's range [1, " +
                  std::to_string(max) + "]");
    return true;
  }
  bool constant(const Tensor &t, uint64_t bytes, const char *what) {
    if (!t.isConstant)
      return fail(std::string(what) + " must be a constant");
    if (t.data.size() != bytes && (requireData || !t.data.empty()))
      return fail(std::string(what) + " holds " +
                  std::to_string(t.data.size()) + " bytes, expected " +
                  std::to_string(bytes));
    return true;
  }

  bool check() {
    if (l.output < 0 || l.output >= static_cast<TensorId>(g.tensors.size()))
      return fail("no output tensor");
    const Tensor &out = g.tensor(l.output);
    for (TensorId id : l.inputs)
      if (id < 0 || id >= static_cast<TensorId>(g.tensors.size()))
        return fail("an input is not a tensor of the graph");
    switch (l.kind) {
    case LayerKind::Conv:
      return checkConv(out);
    case LayerKind::Matmul:
      return checkMatmul(out);
    case LayerKind::Pool:
      return checkPool(out);
    case LayerKind::Eltwise: {
      const Tensor *a = in(0), *b = in(1);
      if (!a || !b)
        return false;
      if (a->dtype != b->dtype)
        return fail("operands have different element types");
      if (!broadcastsTo(a->shape, out.shape) ||
          !broadcastsTo(b->shape, out.shape))
        return fail("operands " + shapeStr(a->shape) + " and " +
                    shapeStr(b->shape) + " do not broadcast to " +
                    shapeStr(out.shape));
      return true;
    }
    case LayerKind::Act:
    case LayerKind::Convert: {
      const Tensor *x = in(0);
      if (!x)
        return false;
      if (x->shape != out.shape)
        return fail("input " + shapeStr(x->shape) + " and output " +
                    shapeStr(out.shape) + " differ");
      return true;
    }
    case LayerKind::Reduce: {
      const Tensor *x = in(0);
      if (!x)
        return false;
      const auto &p = l.as<ReduceParams>();
      if (p.outer * p.n * p.inner != x->numElements() ||
          p.outer * p.inner != out.numElements())
        return fail("the [outer][n][inner] view does not match the shapes");
      return true;
    }
    case LayerKind::Transpose: {
      const Tensor *x = in(0);
      if (!x)
        return false;
      if (!rank(*x, 4, "the input") || !rank(out, 4, "the output"))
        return false;
      const auto &p = l.as<TransposeParams>();
      for (int i = 0; i < 4; ++i)
        if (p.perm[i] > 3 || out.shape[i] != x->shape[p.perm[i]])
          return fail("the permutation does not match the shapes");
      for (int i = 0; i < 4; ++i)
        if (!fits(x->shape[i], 65535, "a dimension"))
          return false;
      return true;
    }
    case LayerKind::Concat: {
      const auto &p = l.as<ConcatParams>();
      int64_t sum = 0;
      for (size_t i = 0; i < l.inputs.size(); ++i) {
        const Tensor *x = in(i);
        if (!x)
          return false;
        if (x->shape.size() != out.shape.size() || p.axis < 0 ||
            p.axis >= static_cast<int>(out.shape.size()))
          return fail("input " + std::to_string(i) + " has another rank");
        for (size_t d = 0; d < out.shape.size(); ++d)
          if (static_cast<int>(d) != p.axis && x->shape[d] != out.shape[d])
            return fail("input " + std::to_string(i) + " " +
                        shapeStr(x->shape) + " does not match " +
                        shapeStr(out.shape));
        sum += x->shape[p.axis];
      }
      if (sum != out.shape[p.axis])
        return fail("the inputs do not add up to the output");
      return true;
    }
    case LayerKind::Slice: {
      const Tensor *x = in(0);
      if (!x)
        return false;
      const auto &p = l.as<SliceParams>();
      if (p.starts.size() != x->shape.size() ||
          out.shape.size() != x->shape.size())
        return fail("rank mismatch");
      for (size_t d = 0; d < x->shape.size(); ++d)
        if (p.starts[d] < 0 || p.starts[d] + out.shape[d] > x->shape[d])
          return fail("the slice leaves the input");
      return true;
    }
    case LayerKind::Pad: {
      const Tensor *x = in(0);
      if (!x)
        return false;
      const auto &p = l.as<PadParams>();
      if (p.before.size() != x->shape.size() ||
          p.after.size() != x->shape.size())
        return fail("rank mismatch");
      for (size_t d = 0; d < x->shape.size(); ++d)
        if (p.before[d] < 0 || p.after[d] < 0 ||
            x->shape[d] + p.before[d] + p.after[d] != out.shape[d])
          return fail("the padded shape does not match the output");
      // One DMA pads two dims: the last padded one (with the unpadded dims
      // after it merged in) and the one before it.
      int last = static_cast<int>(x->shape.size()) - 1;
      int64_t inner = 1;
      while (last >= 0 && !p.before[last] && !p.after[last])
        inner *= x->shape[last--];
      for (int d = 0; d + 1 < last; ++d)
        if (p.before[d] || p.after[d])
          return fail("padding in more than two dimensions (dim " +
                      std::to_string(d) + " too) has no DMA form");
      if (last >= 0) {
        for (int64_t v : {p.before[last] * inner, p.after[last] * inner})
          if (!fits(v + 1, 65536, "a padding (in elements)"))
            return false;
        if (last >= 1)
          for (int64_t v : {p.before[last - 1], p.after[last - 1]})
            if (!fits(v + 1, 65536, "a padding (in rows)"))
              return false;
      }
      return true;
    }
    }
    return fail("unknown layer kind");
  }

  static bool broadcastsTo(const std::vector<int64_t> &s,
                           const std::vector<int64_t> &out) {
    if (s.size() > out.size())
      return false;
    size_t off = out.size() - s.size();
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != 1 && s[i] != out[off + i])
        return false;
    return true;
  }

  bool checkConv(const Tensor &out) {
    const auto &p = l.as<ConvParams>();
    const Tensor *x = in(0), *w = in(1);
    if (!x || !w)
      return false;
    if (!rank(*x, 4, "the input") || !rank(out, 4, "the output") ||
        !rank(*w, 4, "the weights"))
      return false;
    int64_t c = x->shape[3], co = out.shape[3];
    if (p.groups < 1 || c % p.groups || co % p.groups)
      return fail("channels " + std::to_string(c) + " -> " +
                  std::to_string(co) + " are not divisible by groups " +
                  std::to_string(p.groups));
    if (w->shape != std::vector<int64_t>{co, p.kh, p.kw, c / p.groups})
      return fail("weights " + shapeStr(w->shape) + " should be " +
                  shapeStr({co, p.kh, p.kw, c / p.groups}));
    if (!constant(*w, w->bytes(), "the weights"))
      return false;
    if (!fits(p.kh, 15, "the kernel height") ||
        !fits(p.kw, 15, "the kernel width") ||
        !fits(p.sh, 15, "the vertical stride") ||
        !fits(p.sw, 15, "the horizontal stride") ||
        !fits(p.dh, 15, "the vertical dilation") ||
        !fits(p.dw, 15, "the horizontal dilation") ||
        !fits(x->shape[2], 65535, "the input width") ||
        !fits(c, 65535, "the input channels") ||
        !fits(co, 65535, "the output channels") ||
        !fits(p.groups, 65535, "groups"))
      return false;
    for (int pad : {p.pt, p.pb, p.pl, p.pr})
      if (pad < 0 || pad > 255)
        return fail("padding " + std::to_string(pad) + " is outside [0, 255]");
    int64_t oh = convOutSize(x->shape[1], p.kh, p.sh, p.dh, p.pt, p.pb);
    int64_t ow = convOutSize(x->shape[2], p.kw, p.sw, p.dw, p.pl, p.pr);
    if (out.shape != std::vector<int64_t>{x->shape[0], oh, ow, co})
      return fail("output " + shapeStr(out.shape) + " should be " +
                  shapeStr({x->shape[0], oh, ow, co}));
    if (p.requant) {
      const Tensor *t = in(2);
      if (!t || !constant(*t, static_cast<uint64_t>(co) * 16, "the table"))
        return false;
    }
    if (p.epilogue.bias != kNoTensor) {
      const Tensor &b = g.tensor(p.epilogue.bias);
      if (b.numElements() != co || b.dtype != out.dtype || !b.isConstant)
        return fail("the bias must be a constant [" + std::to_string(co) +
                    "] of the output type");
    }
    return true;
  }

  bool checkMatmul(const Tensor &out) {
    const auto &p = l.as<MatmulParams>();
    const Tensor *a = in(0), *b = in(1);
    if (!a || !b)
      return false;
    if (a->shape.size() < 2 || b->shape.size() < 2 || out.shape.size() < 2)
      return fail("operands must have rank >= 2");
    int64_t m = a->shape[a->shape.size() - 2], k = a->shape.back();
    int64_t n = p.transB ? b->shape.back() : b->shape[b->shape.size() - 2];
    int64_t bk = p.transB ? b->shape[b->shape.size() - 2] : b->shape.back();
    if (bk != k)
      return fail("inner dimensions " + std::to_string(k) + " and " +
                  std::to_string(bk) + " differ");
    if (out.shape[out.shape.size() - 2] != m || out.shape.back() != n)
      return fail("output " + shapeStr(out.shape) + " is not [..., " +
                  std::to_string(m) + ", " + std::to_string(n) + "]");
    int64_t batchA = a->numElements() / (m * k);
    int64_t batchB = b->numElements() / (n * k);
    int64_t batchO = out.numElements() / (m * n);
    if (batchA != batchO || (batchB != 1 && batchB != batchO))
      return fail("batch dimensions do not match");
    if (!fits(n, 65535, "N") || !fits(k, 65535, "K"))
      return false;
    if (b->isConstant && !constant(*b, b->bytes(), "B"))
      return false;
    if (p.requant) {
      const Tensor *t = in(2);
      if (!t || !constant(*t, static_cast<uint64_t>(n) * 16, "the table"))
        return false;
    }
    return true;
  }

  bool checkPool(const Tensor &out) {
    const auto &p = l.as<PoolParams>();
    const Tensor *x = in(0);
    if (!x)
      return false;
    if (!rank(*x, 4, "the input") || !rank(out, 4, "the output"))
      return false;
    if (x->dtype != out.dtype)
      return fail("pooling keeps the element type");
    if (!fits(p.kh, 255, "the window height") ||
        !fits(p.kw, 255, "the window width") ||
        !fits(p.sh, 255, "the vertical stride") ||
        !fits(p.sw, 255, "the horizontal stride") ||
        !fits(x->shape[2], 65535, "the input width") ||
        !fits(x->shape[3], 65535, "the channels"))
      return false;
    if (p.pt >= p.kh || p.pb >= p.kh || p.pl >= p.kw || p.pr >= p.kw)
      return fail("padding must be smaller than the window");
    int64_t oh = convOutSize(x->shape[1], p.kh, p.sh, 1, p.pt, p.pb);
    int64_t ow = convOutSize(x->shape[2], p.kw, p.sw, 1, p.pl, p.pr);
    if (out.shape != std::vector<int64_t>{x->shape[0], oh, ow, x->shape[3]})
      return fail("output " + shapeStr(out.shape) + " should be " +
                  shapeStr({x->shape[0], oh, ow, x->shape[3]}));
    return true;
  }
};

} // namespace

Status LayerGraph::verify(bool requireData) const {
  std::vector<bool> defined(tensors.size(), false);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &t = tensors[i];
    if (t.isConstant || t.isInput)
      defined[i] = true;
    if (t.aliasOf != kNoTensor) {
      if (t.aliasOf < 0 || t.aliasOf >= static_cast<TensorId>(tensors.size()))
        return Status::error("tensor '" + t.name + "' aliases no tensor");
      if (tensors[t.aliasOf].bytes() != t.bytes())
        return Status::error("tensor '" + t.name +
                             "' is a reshape of another size");
    }
    if (t.numElements() <= 0)
      return Status::error("tensor '" + t.name + "' is empty");
  }
  for (const Layer &l : layers) {
    Checker c{*this, l, requireData, {}};
    if (!c.check())
      return Status::error(c.error);
    for (TensorId id : l.inputs)
      if (!defined[storageOf(id)] && !defined[id])
        return Status::error("layer '" + l.name + "' reads tensor '" +
                             tensors[id].name + "' before it is produced");
    defined[l.output] = true;
    // An alias is defined with its storage.
    for (size_t i = 0; i < tensors.size(); ++i)
      if (!defined[i] && tensors[i].aliasOf != kNoTensor &&
          defined[storageOf(static_cast<TensorId>(i))])
        defined[i] = true;
  }
  return Status::ok();
}

} // namespace tessel::npu::cg
