//===- TensorFiles.cpp - .npy and ONNX TensorProto files, comparisons -----===//
#include "tessel/Runtime/TensorFiles.h"

#include "tessel/Support/Float16.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tessel::rt {

uint64_t HostTensor::numElements() const {
  uint64_t n = 1;
  for (int64_t d : dims)
    n *= static_cast<uint64_t>(d);
  return n;
}

double HostTensor::at(uint64_t i) const {
  const uint8_t *p = data.data() + i * elemSize(dtype);
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<double>(v);
  };
  switch (dtype) {
  case ElemType::F32:
    return get(float());
  case ElemType::F64:
    return get(double());
  case ElemType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return support::halfToFloat(h);
  }
  case ElemType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return support::bf16ToFloat(h);
  }
  case ElemType::I8:
    return get(int8_t());
  case ElemType::U8:
  case ElemType::Bool:
    return get(uint8_t());
  case ElemType::I16:
    return get(int16_t());
  case ElemType::U16:
    return get(uint16_t());
  case ElemType::I32:
    return get(int32_t());
  case ElemType::U32:
    return get(uint32_t());
  case ElemType::I64:
    return get(int64_t());
  case ElemType::U64:
    return get(uint64_t());
  case ElemType::Invalid:
    break;
  }
  return 0;
}

namespace {

StatusOr<std::vector<uint8_t>> readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return StatusOr<std::vector<uint8_t>>::error("cannot open '" + path + "'",
                                                 ErrorKind::Io);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)),
                         std::istreambuf_iterator<char>());
  return b;
}

Status checkSize(const HostTensor &t, uint64_t have, const char *what) {
  unsigned __int128 need = elemSize(t.dtype);
  for (int64_t d : t.dims) {
    if (d < 0)
      return Status::error(std::string(what) + ": negative dimension",
                           ErrorKind::Format);
    need *= static_cast<uint64_t>(d);
    if (need > (static_cast<unsigned __int128>(1) << 48))
      return Status::error(std::string(what) + ": the tensor is too large",
                           ErrorKind::Format);
  }
  if (need != have)
    return Status::error(std::string(what) + ": the shape needs " +
                             std::to_string(static_cast<uint64_t>(need)) +
                             " bytes of data, the file has " +
                             std::to_string(have),
                         ErrorKind::Format);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

struct NpyType {
  const char *descr;
  ElemType type;
};
const NpyType kNpyTypes[] = {
    {"<f4", ElemType::F32}, {"<f2", ElemType::F16}, {"<f8", ElemType::F64},
    {"|i1", ElemType::I8},  {"|u1", ElemType::U8},  {"<i2", ElemType::I16},
    {"<u2", ElemType::U16}, {"<i4", ElemType::I32}, {"<u4", ElemType::U32},
    {"<i8", ElemType::I64}, {"<u8", ElemType::U64}, {"|b1", ElemType::Bool},
    {"<V2", ElemType::BF16}};

/// The value of `key` in a Python dict literal (very small parser).
bool dictValue(const std::string &h, const std::string &key, std::string &out) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos)
    return false;
  size_t colon = h.find(':', k);
  if (colon == std::string::npos)
    return false;
  size_t i = colon + 1;
  while (i < h.size() && h[i] == ' ')
    ++i;
  if (i >= h.size())
    return false;
  size_t end;
  if (h[i] == '\'') {
    end = h.find('\'', i + 1);
    if (end == std::string::npos)
      return false;
    out = h.substr(i + 1, end - i - 1);
    return true;
  }
  if (h[i] == '(') {
    end = h.find(')', i);
    if (end == std::string::npos)
      return false;
    out = h.substr(i, end - i + 1);
    return true;
  }
  end = h.find_first_of(",}", i);
  if (end == std::string::npos)
    return false;
  out = h.substr(i, end - i);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return true;
}

} // namespace

StatusOr<HostTensor> parseNpy(const uint8_t *d, size_t size) {
  using R = StatusOr<HostTensor>;
  if (size < 10 || std::memcmp(d, "\x93NUMPY", 6) != 0)
    return R::error("not a .npy file (bad magic)", ErrorKind::Format);
  uint8_t major = d[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = d[8] | (static_cast<size_t>(d[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return R::error("truncated .npy header", ErrorKind::Format);
    headerLen = d[8] | (static_cast<size_t>(d[9]) << 8) |
                (static_cast<size_t>(d[10]) << 16) |
                (static_cast<size_t>(d[11]) << 24);
    start = 12;
  } else {
    return R::error(".npy version " + std::to_string(major) +
                        " is not supported",
                    ErrorKind::Version);
  }
  if (headerLen > size - start)
    return R::error("truncated .npy header", ErrorKind::Format);
  std::string h(reinterpret_cast<const char *>(d + start), headerLen);
  std::string descr, fortran, shape;
  if (!dictValue(h, "descr", descr) ||
      !dictValue(h, "fortran_order", fortran) || !dictValue(h, "shape", shape))
    return R::error("malformed .npy header: " + h, ErrorKind::Format);
  HostTensor t;
  bool known = false;
  for (const NpyType &n : kNpyTypes) {
    if (descr == n.descr ||
        (descr[0] == '=' && descr.substr(1) == std::string(n.descr + 1))) {
      t.dtype = n.type;
      known = true;
    }
  }
  if (!known && (descr == "<i1" || descr == "i1"))
    t.dtype = ElemType::I8, known = true;
  if (!known && (descr == "<u1" || descr == "u1"))
    t.dtype = ElemType::U8, known = true;
  if (!known) {
    if (!descr.empty() && descr[0] == '>')
      return R::error("big-endian .npy data ('" + descr +
                          "') is not supported; save it little-endian",
                      ErrorKind::Unsupported);
    return R::error(".npy element type '" + descr + "' is not supported",
                    ErrorKind::Unsupported);
  }
  if (fortran != "False")
    return R::error("Fortran-order .npy arrays are not supported (save with "
                    "numpy.ascontiguousarray)",
                    ErrorKind::Unsupported);
  // "(2, 3)", "(4,)", "()".
  std::string inner = shape.substr(1, shape.size() - 2);
  std::stringstream ss(inner);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t a = part.find_first_not_of(' ');
    if (a == std::string::npos)
      continue;
    char *end = nullptr;
    long long v = std::strtoll(part.c_str() + a, &end, 10);
    while (end && *end == ' ')
      ++end;
    if (!end || (*end && *end != 'L') || v < 0)
      return R::error("malformed .npy shape " + shape, ErrorKind::Format);
    t.dims.push_back(v);
  }
  size_t dataStart = start + headerLen;
  if (Status s = checkSize(t, size - dataStart, ".npy"); !s)
    return R(s);
  t.data.assign(d + dataStart, d + size);
  return t;
}

StatusOr<HostTensor> readNpy(const std::string &path) {
  StatusOr<std::vector<uint8_t>> b = readFile(path);
  if (!b)
    return StatusOr<HostTensor>(b.status());
  StatusOr<HostTensor> t = parseNpy(b->data(), b->size());
  if (!t)
    return StatusOr<HostTensor>(t.status().withContext(path));
  return t;
}

std::vector<uint8_t> encodeNpy(const HostTensor &t) {
  const char *descr = "<f4";
  for (const NpyType &n : kNpyTypes)
    if (n.type == t.dtype)
      descr = n.descr;
  std::string shape = "(";
  for (size_t i = 0; i < t.dims.size(); ++i)
    shape += std::to_string(t.dims[i]) + (t.dims.size() == 1 ? "," : "") +
             (i + 1 < t.dims.size() ? ", " : "");
  shape += ")";
  std::string h = std::string("{'descr': '") + descr +
                  "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts at a multiple of 64; end with '\n'.
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(static_cast<uint8_t>(h.size() & 0xff));
  out.push_back(static_cast<uint8_t>(h.size() >> 8));
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), t.data.begin(), t.data.end());
  return out;
}

Status writeNpy(const std::string &path, const HostTensor &t) {
  std::vector<uint8_t> b = encodeNpy(t);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f)
    return Status::error("cannot write '" + path + "'", ErrorKind::Io);
  f.write(reinterpret_cast<const char *>(b.data()),
          static_cast<std::streamsize>(b.size()));
  return f ? Status::ok()
           : Status::error("error while writing '" + path + "'", ErrorKind::Io);
}

//===----------------------------------------------------------------------===//
// ONNX TensorProto (protobuf wire format)
//===----------------------------------------------------------------------===//

namespace {

struct Wire {
  const uint8_t *p;
  size_t size, pos = 0;
  bool bad = false;

  bool varint(uint64_t &v) {
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= size)
        return !(bad = true);
      uint8_t b = p[pos++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return !(bad = true);
  }
  bool fixed(void *out, size_t n) {
    if (n > size - pos)
      return !(bad = true);
    std::memcpy(out, p + pos, n);
    pos += n;
    return true;
  }
  bool bytes(const uint8_t *&out, size_t &n) {
    uint64_t len;
    if (!varint(len) || len > size - pos)
      return !(bad = true);
    out = p + pos;
    n = static_cast<size_t>(len);
    pos += n;
    return true;
  }
  bool skip(uint32_t wireType) {
    uint64_t v;
    const uint8_t *b;
    size_t n;
    switch (wireType) {
    case 0:
      return varint(v);
    case 1:
      return fixed(&v, 8);
    case 2:
      return bytes(b, n);
    case 5:
      return fixed(&v, 4);
    default:
      return !(bad = true);
    }
  }
};

/// ONNX TensorProto.DataType -> ElemType.
bool onnxType(uint64_t t, ElemType &out) {
  switch (t) {
  case 1:
    out = ElemType::F32;
    return true;
  case 2:
    out = ElemType::U8;
    return true;
  case 3:
    out = ElemType::I8;
    return true;
  case 4:
    out = ElemType::U16;
    return true;
  case 5:
    out = ElemType::I16;
    return true;
  case 6:
    out = ElemType::I32;
    return true;
  case 7:
    out = ElemType::I64;
    return true;
  case 9:
    out = ElemType::Bool;
    return true;
  case 10:
    out = ElemType::F16;
    return true;
  case 11:
    out = ElemType::F64;
    return true;
  case 12:
    out = ElemType::U32;
    return true;
  case 13:
    out = ElemType::U64;
    return true;
  case 16:
    out = ElemType::BF16;
    return true;
  default:
    return false;
  }
}

/// Reads a repeated numeric field, packed (wire type 2) or not.
template <typename T, typename Read>
bool repeated(Wire &w, uint32_t wireType, uint32_t elemWire,
              std::vector<T> &out, Read read) {
  if (wireType == 2) {
    const uint8_t *b;
    size_t n;
    if (!w.bytes(b, n))
      return false;
    Wire inner{b, n};
    while (inner.pos < inner.size) {
      T v;
      if (!read(inner, v))
        return !(w.bad = true);
      out.push_back(v);
    }
    return true;
  }
  if (wireType != elemWire)
    return !(w.bad = true);
  T v;
  if (!read(w, v))
    return false;
  out.push_back(v);
  return true;
}

} // namespace

StatusOr<HostTensor> parseTensorProto(const uint8_t *data, size_t size) {
  using R = StatusOr<HostTensor>;
  Wire w{data, size};
  HostTensor t;
  uint64_t dataType = 0;
  const uint8_t *raw = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false;
  std::vector<float> floats;
  std::vector<int64_t> ints; // int32_data and int64_data and uint64_data.
  std::vector<double> doubles;
  int intsField = 0;
  auto readVarint = [](Wire &x, int64_t &v) {
    uint64_t u;
    if (!x.varint(u))
      return false;
    v = static_cast<int64_t>(u);
    return true;
  };
  while (w.pos < w.size) {
    uint64_t key;
    if (!w.varint(key))
      break;
    uint32_t field = static_cast<uint32_t>(key >> 3);
    uint32_t wt = static_cast<uint32_t>(key & 7);
    switch (field) {
    case 1: // dims
      repeated<int64_t>(w, wt, 0, t.dims, readVarint);
      break;
    case 2: // data_type
      if (wt != 0 || !w.varint(dataType))
        w.bad = true;
      break;
    case 4: // float_data
      repeated<float>(w, wt, 5, floats,
                      [](Wire &x, float &v) { return x.fixed(&v, 4); });
      break;
    case 5:  // int32_data
    case 7:  // int64_data
    case 11: // uint64_data
      if (intsField && intsField != static_cast<int>(field))
        return R::error("a TensorProto with two integer data fields",
                        ErrorKind::Format);
      intsField = static_cast<int>(field);
      repeated<int64_t>(w, wt, 0, ints, readVarint);
      break;
    case 8: { // name
      const uint8_t *b;
      size_t n;
      if (wt != 2 || !w.bytes(b, n))
        w.bad = true;
      else
        t.name.assign(reinterpret_cast<const char *>(b), n);
      break;
    }
    case 9: // raw_data
      if (wt != 2 || !w.bytes(raw, rawSize))
        w.bad = true;
      hasRaw = true;
      break;
    case 10: // double_data
      repeated<double>(w, wt, 1, doubles,
                       [](Wire &x, double &v) { return x.fixed(&v, 8); });
      break;
    case 6: // string_data
      return R::error("string tensors are not supported",
                      ErrorKind::Unsupported);
    case 13: // external_data
    case 14: // data_location
      return R::error("TensorProtos with external data are not supported",
                      ErrorKind::Unsupported);
    default:
      w.skip(wt);
    }
    if (w.bad)
      break;
  }
  if (w.bad)
    return R::error("malformed TensorProto (protobuf wire format)",
                    ErrorKind::Format);
  if (!onnxType(dataType, t.dtype))
    return R::error("TensorProto data_type " + std::to_string(dataType) +
                        " is not supported",
                    ErrorKind::Unsupported);
  uint64_t n = 1;
  for (int64_t d : t.dims) {
    if (d < 0 || (d && n > (uint64_t(1) << 40) / static_cast<uint64_t>(d)))
      return R::error("TensorProto has a bad shape", ErrorKind::Format);
    n *= static_cast<uint64_t>(d);
  }
  size_t es = elemSize(t.dtype);
  if (hasRaw) {
    t.data.assign(raw, raw + rawSize);
  } else {
    t.data.resize(static_cast<size_t>(n * es));
    uint64_t have = floats.size() + ints.size() + doubles.size();
    if (have != n)
      return R::error("TensorProto holds " + std::to_string(have) +
                          " values, its shape needs " + std::to_string(n),
                      ErrorKind::Format);
    for (uint64_t i = 0; i < n; ++i) {
      uint8_t *p = t.data.data() + i * es;
      if (!floats.empty()) {
        if (t.dtype != ElemType::F32)
          return R::error("float_data in a non-float TensorProto",
                          ErrorKind::Format);
        std::memcpy(p, &floats[i], 4);
      } else if (!doubles.empty()) {
        if (t.dtype != ElemType::F64)
          return R::error("double_data in a non-double TensorProto",
                          ErrorKind::Format);
        std::memcpy(p, &doubles[i], 8);
      } else {
        // int32_data carries 8/16/32-bit types and fp16/bf16 bit patterns.
        int64_t v = ints[i];
        std::memcpy(p, &v, es);
      }
    }
  }
  if (Status s = checkSize(t, t.data.size(), "TensorProto"); !s)
    return R(s);
  return t;
}

StatusOr<HostTensor> readTensorProto(const std::string &path) {
  StatusOr<std::vector<uint8_t>> b = readFile(path);
  if (!b)
    return StatusOr<HostTensor>(b.status());
  StatusOr<HostTensor> t = parseTensorProto(b->data(), b->size());
  if (!t)
    return StatusOr<HostTensor>(t.status().withContext(path));
  return t;
}

StatusOr<HostTensor> readTensorFile(const std::string &path) {
  StatusOr<std::vector<uint8_t>> b = readFile(path);
  if (!b)
    return StatusOr<HostTensor>(b.status());
  bool npy = b->size() >= 6 && std::memcmp(b->data(), "\x93NUMPY", 6) == 0;
  StatusOr<HostTensor> t = npy ? parseNpy(b->data(), b->size())
                               : parseTensorProto(b->data(), b->size());
  if (!t)
    return StatusOr<HostTensor>(t.status().withContext(path));
  return t;
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

std::string indexString(const std::vector<int64_t> &dims, int64_t flat) {
  std::vector<int64_t> idx(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    int64_t d = dims[i] ? dims[i] : 1;
    idx[i] = flat % d;
    flat /= d;
  }
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i)
    s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + "]";
}

Comparison compareTensors(const HostTensor &got, const HostTensor &want,
                          double rtol, double atol) {
  Comparison c;
  if (got.dtype != want.dtype) {
    c.problem = std::string("element type ") + elemName(got.dtype) +
                " does not match the expected " + elemName(want.dtype);
    return c;
  }
  if (got.dims != want.dims) {
    auto shape = [](const std::vector<int64_t> &d) {
      std::string s;
      for (size_t i = 0; i < d.size(); ++i)
        s += (i ? "x" : "") + std::to_string(d[i]);
      return s.empty() ? std::string("scalar") : s;
    };
    c.problem = "shape " + shape(got.dims) + " does not match the expected " +
                shape(want.dims);
    return c;
  }
  c.elements = got.numElements();
  for (uint64_t i = 0; i < c.elements; ++i) {
    double g = got.at(i), w = want.at(i);
    bool ok;
    if (std::isnan(w) || std::isnan(g)) {
      ok = std::isnan(w) && std::isnan(g);
    } else if (std::isinf(w) || std::isinf(g)) {
      ok = g == w;
    } else {
      double abs = std::fabs(g - w);
      double rel = w != 0 ? abs / std::fabs(w) : (abs != 0 ? INFINITY : 0);
      c.maxAbsError = std::max(c.maxAbsError, abs);
      if (std::isfinite(rel))
        c.maxRelError = std::max(c.maxRelError, rel);
      ok = abs <= atol + rtol * std::fabs(w);
    }
    if (!ok) {
      if (c.firstMismatch < 0) {
        c.firstMismatch = static_cast<int64_t>(i);
        c.got = g;
        c.want = w;
      }
      ++c.mismatches;
    }
  }
  c.match = c.mismatches == 0;
  return c;
}

} // namespace tessel::rt
