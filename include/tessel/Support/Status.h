//===- Status.h - Error values for the MLIR-free libraries -------*- C++
//-*-===//
//
// The ISA, chip models, binary container, simulator and runtime are built
// without exceptions and without LLVM, so they report failure through these
// two small value types: `Status` (ok, or a message) and `StatusOr<T>` (a
// value, or a message). Messages are complete sentences meant for the user.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_SUPPORT_STATUS_H
#define TESSEL_SUPPORT_STATUS_H

#include <cassert>
#include <string>
#include <utility>

namespace tessel {

/// What kind of failure a Status reports (the runtime C API maps these to
/// its status codes; most code only reads the message).
enum class ErrorKind : int {
  None = 0,
  Generic = 1,
  InvalidArgument = 2,
  Io = 3,
  Format = 4,       ///< A corrupt or malformed file.
  Version = 5,      ///< A format version this code does not read.
  ChipMismatch = 6, ///< Built for another chip.
  Unsupported = 7,  ///< A target or feature this build cannot run.
  NotFound = 8,
  Execution = 9, ///< The program faulted.
  OutOfMemory = 10,
  State = 11, ///< Calls in the wrong order (e.g. run before inputs).
};

/// Success, or a failure with a message.
class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message,
                      ErrorKind kind = ErrorKind::Generic) {
    Status s;
    s.failed_ = true;
    s.kind_ = kind == ErrorKind::None ? ErrorKind::Generic : kind;
    s.message_ = std::move(message);
    return s;
  }

  bool isOk() const { return !failed_; }
  ErrorKind kind() const { return kind_; }
  explicit operator bool() const { return !failed_; }
  const std::string &message() const { return message_; }

  /// Prefixes the message with context ("while loading x: ...").
  Status withContext(const std::string &context) const {
    if (!failed_)
      return *this;
    return error(context + ": " + message_, kind_);
  }

private:
  bool failed_ = false;
  ErrorKind kind_ = ErrorKind::None;
  std::string message_;
};

/// A value, or the reason there is none.
template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)), ok_(true) {}
  StatusOr(Status status) : status_(std::move(status)) {
    assert(!status_.isOk() && "StatusOr built from an ok Status");
  }
  static StatusOr error(std::string message,
                        ErrorKind kind = ErrorKind::Generic) {
    return StatusOr(Status::error(std::move(message), kind));
  }

  bool isOk() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Status &status() const { return status_; }
  const std::string &message() const { return status_.message(); }

  T &value() {
    assert(ok_ && "no value in an error StatusOr");
    return value_;
  }
  const T &value() const {
    assert(ok_ && "no value in an error StatusOr");
    return value_;
  }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  T take() { return std::move(value()); }

private:
  T value_{};
  Status status_;
  bool ok_ = false;
};

} // namespace tessel

#endif // TESSEL_SUPPORT_STATUS_H
