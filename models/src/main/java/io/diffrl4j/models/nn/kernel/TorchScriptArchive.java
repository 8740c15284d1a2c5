package io.diffrl4j.models.nn.kernel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a minimal TorchScript archive (what {@code torch.jit.save} produces, loadable by {@code
 * torch::jit::load} and therefore by DJL's PyTorch engine) for a <em>parameterless</em> module,
 * without Python.
 *
 * <p>Layout (every entry stored uncompressed under one top-level folder, {@value #ARCHIVE_DIR}):
 *
 * <ul>
 *   <li>{@code archive/data.pkl}: protocol-2 pickle of the module object: {@code GLOBAL
 *       '__torch__ <ClassName>'}, an empty argument tuple, {@code NEWOBJ}, then {@code BUILD}
 *       with a dict holding <em>every</em> attribute the class declares ({@code training} and the
 *       extra ones). The loader looks each declared attribute up in this dict by name.
 *   <li>{@code archive/code/__torch__.py}: the TorchScript source of {@code class
 *       <ClassName>(Module)} with {@code __parameters__ = []}, {@code __buffers__ = []}, typed
 *       attributes and the methods (at least {@code forward}). The loader maps the pickled class
 *       qualifier {@code __torch__} to this file.
 *   <li>{@code archive/constants.pkl}: the tensor constants table, a pickled empty tuple.
 *   <li>{@code archive/version}: the file format version, {@value #FILE_FORMAT_VERSION}. This
 *       value matters: archives older than 10 have their {@code aten::gelu} (and {@code div},
 *       {@code full}, {@code linspace}, {@code logspace}) calls rewritten by the operator
 *       upgraders to the pre-10 semantics, which for instance reject {@code approximate=}.
 * </ul>
 *
 * <p>Usage:
 *
 * <pre>{@code
 * TorchScriptArchive.module("SdpaKernel")
 *     .source("""
 *         def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
 *             return torch.scaled_dot_product_attention(q, k, v)
 *         """)
 *     .writeTo(path);
 * }</pre>
 *
 * <p>The source is serialized TorchScript, not Python: built-in ops are reached as {@code
 * torch.<aten op>} (no {@code torch.nn.functional}), dtypes may be written {@code torch.float32},
 * types are {@code Tensor}, {@code int}, {@code float}, {@code bool}, {@code str}, {@code
 * List[int]}, {@code Optional[Tensor]}.... The source is only compiled when the archive is
 * loaded, so syntax or type errors surface then (see {@link KernelRegistry}).
 */
public final class TorchScriptArchive {

    /** Name of the top-level folder all entries live in. */
    public static final String ARCHIVE_DIR = "archive";

    /** File format version written to {@code archive/version} (PyTorch's produced version). */
    public static final int FILE_FORMAT_VERSION = 10;

    /** Entry names relative to {@link #ARCHIVE_DIR}, in the order they are written. */
    public static final List<String> RECORDS =
            List.of("data.pkl", "code/__torch__.py", "constants.pkl", "version");

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** DOS time of 1980-01-01 00:00, so that equal inputs give byte-identical archives. */
    private static final long FIXED_TIME = 315532800000L;

    private TorchScriptArchive() {}

    /**
     * Starts an archive for a module class.
     *
     * @param className the TorchScript class name (a Python identifier); its qualified name is
     *     {@code __torch__.<className>}
     * @return a builder
     */
    public static Builder module(String className) {
        return new Builder(className);
    }

    /** Builds one archive; not thread-safe. */
    public static final class Builder {

        private final String className;
        private final List<String> methods = new ArrayList<>();
        private final Map<String, Attribute> attributes = new LinkedHashMap<>();
        private boolean training = true;

        private Builder(String className) {
            Objects.requireNonNull(className, "className");
            if (!IDENTIFIER.matcher(className).matches()) {
                throw new IllegalArgumentException(
                        "class name must be a Python identifier: '" + className + "'");
            }
            this.className = className;
        }

        /**
         * Adds method definitions ({@code forward} and optionally more), written as top-level
         * {@code def}s (common indentation is removed, then they are indented into the class
         * body). May be called several times.
         *
         * @param methodSource TorchScript source of one or more methods
         * @return this builder
         */
        public Builder source(String methodSource) {
            Objects.requireNonNull(methodSource, "methodSource");
            if (methodSource.indexOf('\t') >= 0) {
                throw new IllegalArgumentException(
                        "indent the source of " + className + " with spaces, not tabs");
            }
            String src = methodSource.replace("\r\n", "\n").stripIndent().strip();
            if (src.isEmpty()) {
                throw new IllegalArgumentException("empty source for " + className);
            }
            methods.add(src);
            return this;
        }

        /**
         * Declares a typed attribute with its value. Supported: {@code bool}, {@code int},
         * {@code float}, {@code str}.
         *
         * @param name the attribute name
         * @param value a Boolean, Integer/Long, Double/Float or String
         * @return this builder
         */
        public Builder attribute(String name, Object value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (!IDENTIFIER.matcher(name).matches() || name.startsWith("__")
                    || name.equals("training")) {
                throw new IllegalArgumentException("invalid attribute name: '" + name + "'");
            }
            String type;
            Object v = value;
            if (value instanceof Boolean) {
                type = "bool";
            } else if (value instanceof Integer || value instanceof Long) {
                type = "int";
                v = ((Number) value).longValue();
            } else if (value instanceof Double || value instanceof Float) {
                type = "float";
                v = ((Number) value).doubleValue();
            } else if (value instanceof String) {
                type = "str";
            } else {
                throw new IllegalArgumentException(
                        "unsupported attribute type " + value.getClass().getName());
            }
            attributes.put(name, new Attribute(type, v));
            return this;
        }

        /**
         * Sets the {@code training} attribute (default {@code true}, the state DJL's {@code
         * PtSymbolBlock} assumes after loading).
         *
         * @param training the value
         * @return this builder
         */
        public Builder training(boolean training) {
            this.training = training;
            return this;
        }

        /**
         * Returns the class name.
         *
         * @return the class name
         */
        public String className() {
            return className;
        }

        /**
         * Returns the generated {@code code/__torch__.py}.
         *
         * @return the TorchScript source of the module class
         */
        public String code() {
            if (methods.isEmpty()) {
                throw new IllegalStateException("no source given for " + className);
            }
            StringBuilder sb = new StringBuilder();
            sb.append("class ").append(className).append("(Module):\n");
            sb.append("  __parameters__ = []\n");
            sb.append("  __buffers__ = []\n");
            sb.append("  training : bool\n");
            for (Map.Entry<String, Attribute> e : attributes.entrySet()) {
                sb.append("  ").append(e.getKey()).append(" : ").append(e.getValue().type())
                        .append('\n');
            }
            for (String m : methods) {
                sb.append(m.indent(2));
            }
            return sb.toString();
        }

        /**
         * Returns the archive's entries (full names, in write order) and their bytes.
         *
         * @return an unmodifiable ordered map
         */
        public Map<String, byte[]> entries() {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("training", training);
            attributes.forEach((k, a) -> state.put(k, a.value()));
            Object module =
                    new PickleWriter.PyObject(
                            "__torch__", className, PickleWriter.Tuple.of(), state);
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put(ARCHIVE_DIR + "/data.pkl", PickleWriter.dumps(module));
            entries.put(ARCHIVE_DIR + "/code/__torch__.py",
                    code().getBytes(StandardCharsets.UTF_8));
            entries.put(ARCHIVE_DIR + "/constants.pkl",
                    PickleWriter.dumps(PickleWriter.Tuple.of()));
            entries.put(ARCHIVE_DIR + "/version",
                    (FILE_FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
            return Collections.unmodifiableMap(entries);
        }

        /**
         * Writes the archive (a zip) to a stream.
         *
         * @param os the stream; not closed
         * @throws IOException on write failure
         */
        public void writeTo(OutputStream os) throws IOException {
            ZipOutputStream zip = new ZipOutputStream(os);
            for (Map.Entry<String, byte[]> e : entries().entrySet()) {
                byte[] data = e.getValue();
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(data.length);
                entry.setCompressedSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                entry.setCrc(crc.getValue());
                entry.setTime(FIXED_TIME);
                zip.putNextEntry(entry);
                zip.write(data);
                zip.closeEntry();
            }
            zip.finish();
        }

        /**
         * Returns the archive bytes.
         *
         * @return the zip bytes
         */
        public byte[] toBytes() {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try {
                writeTo(bos);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bos.toByteArray();
        }

        /**
         * Writes the archive to a file (atomically where the file system allows: written next
         * to it, then moved), creating parent directories.
         *
         * @param file the target, conventionally {@code <name>.pt}
         * @return {@code file}
         * @throws IOException on write failure
         */
        public Path writeTo(Path file) throws IOException {
            Path abs = file.toAbsolutePath();
            Path dir = abs.getParent();
            Files.createDirectories(dir);
            byte[] bytes = toBytes();
            Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException atomicFailed) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file;
        }
    }

    private record Attribute(String type, Object value) {}
}
