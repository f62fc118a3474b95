# lit configuration for Tessel's FileCheck suites.
import os
import lit.formats
from lit.llvm import llvm_config

config.name = "Tessel"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test", ".s"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessel_obj_root, "test", "lit")

# Strict FileCheck, as STYLE.md asks.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope --allow-unused-prefixes=false"

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.tessel_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
# Before the default substitutions: lit's own %python is the interpreter that
# runs lit, which lacks the project's virtualenv packages (numpy, onnx).
config.substitutions.insert(0, ("%python", config.python_executable))
config.substitutions.append(("%tessel_libdir", os.path.join(config.tessel_obj_root, "lib")))
config.substitutions.append(("%tessel_bindir", config.tessel_tools_dir))
config.substitutions.append(("%models", os.path.join(config.tessel_src_root, "test", "models")))
config.substitutions.append(("%tessel_obj_root", config.tessel_obj_root))
config.substitutions.append(("%tessel_src_root", config.tessel_src_root))
config.substitutions.append(("%mlir_cmake_dir", config.mlir_cmake_dir))

# Cross-compiled runtime under qemu-user (see test/CMakeLists.txt).
if config.aarch64_runtime:
    config.available_features.add("aarch64-qemu")
    config.substitutions.append(("%aarch64_tessel_run",
        "qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH={0}/lib {0}/bin/tessel-run".format(config.aarch64_runtime)))
