package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads one safetensors file tensor by tensor through positional {@link FileChannel} reads, so files larger than
 * 2 GB work and memory is bounded by the largest tensor read (plus one conversion chunk, 8 MiB by default).
 *
 * <p>The header is parsed and validated when the file is opened: a file too short for the length prefix, a header
 * length beyond the file, malformed JSON, an unknown dtype, a bad shape, or data offsets outside the data section
 * or not matching shape x dtype size each fail with an {@link IOException} whose message names the file and the
 * problem. Overlapping tensors are not rejected. Reads convert as described in {@link WeightSource} (BF16 -> FP32
 * is exact, narrowing rounds to nearest even, I16 widens to INT32). Returned arrays belong to the caller's manager. Thread-safe for
 * concurrent reads.
 */
public final class SafetensorsReader implements WeightSource {

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsReader.class);

    /** Same limit as the reference implementation: real headers are a few MB at most. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final int DEFAULT_CHUNK_BYTES = 8 << 20;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final FileChannel channel;
    private final int chunkBytes;
    private final long headerLength;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    /**
     * Opens and validates a safetensors file.
     *
     * @param file the {@code .safetensors} file
     * @throws IOException if the file cannot be read or its header is invalid
     */
    public SafetensorsReader(Path file) throws IOException {
        this(file, DEFAULT_CHUNK_BYTES);
    }

    /** @param chunkBytes bytes of source data converted per step; small values exercise the chunk loop in tests */
    SafetensorsReader(Path file, int chunkBytes) throws IOException {
        if (chunkBytes < 8) {
            throw new IllegalArgumentException("chunkBytes must be at least 8, got " + chunkBytes);
        }
        this.file = file;
        this.chunkBytes = chunkBytes;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw corrupt("file is " + size + " bytes long, shorter than the 8-byte header length prefix");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(prefix, 0);
            long n = prefix.getLong(0);
            // an unsigned u64 above 2^63 reads as negative
            if (n < 0 || n > size - 8) {
                throw corrupt("header length " + Long.toUnsignedString(n) + " is larger than the file allows ("
                        + size + " bytes in all, " + (size - 8) + " after the length prefix); truncated file?");
            }
            if (n > MAX_HEADER_BYTES) {
                throw corrupt("header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            this.headerLength = n;
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(header, 8);
            Map<String, String> meta = new LinkedHashMap<>();
            this.tensors = Collections.unmodifiableMap(parseHeader(header.array(), size, meta));
            this.metadata = Collections.unmodifiableMap(meta);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        LOG.debug("opened {}: {} tensors, header {} bytes", file, tensors.size(), headerLength);
    }

    /** @return the file this reader reads */
    public Path file() {
        return file;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "' in " + file + " (" + tensors.size()
                    + " tensors)");
        }
        return info;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType target) throws IOException {
        if (closed) {
            throw new IllegalStateException("reader for " + file + " is closed");
        }
        TensorInfo info = info(name);
        TensorDtype out = outputDtype(info.dtype(), target);
        long outBytes = info.numElements() * out.byteSize();
        if (outBytes > Integer.MAX_VALUE) {
            // one NDArray is filled from one Java buffer, whose size is an int
            throw new IOException(file + ": tensor '" + name + "' needs " + outBytes + " bytes as " + out
                    + ", more than a single array buffer can hold (" + Integer.MAX_VALUE + ")");
        }
        NDArray array = ArrayFill.create(manager, info.shape(), out.dataType(), (int) outBytes,
                dst -> fill(info, out, dst));
        array.setName(name);
        return array;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ", " + tensors.size() + " tensors]";
    }

    static TensorDtype outputDtype(TensorDtype stored, DataType target) {
        if (stored == TensorDtype.I16) {
            // a 16-bit integer NDArray aborts the JVM with the PyTorch engine; INT32 holds every value
            return TensorDtype.I32;
        }
        if (!stored.isFloatingPoint()) {
            return stored;
        }
        if (target == DataType.FLOAT32) {
            return TensorDtype.F32;
        }
        if (target == DataType.FLOAT16) {
            return TensorDtype.F16;
        }
        if (target == DataType.FLOAT64) {
            return TensorDtype.F64;
        }
        throw new IllegalArgumentException("target type for floating-point tensors must be FLOAT32, FLOAT16 or "
                + "FLOAT64, got " + target.name() + " (16-bit brain-float arrays abort the JVM with the PyTorch engine; "
                + "bf16 data is read as fp32 or fp16)");
    }

    private void fill(TensorInfo info, TensorDtype out, ByteBuffer dst) throws IOException {
        if (info.dtype() == out) {
            readFully(dst, info.offset());
            return;
        }
        int srcSize = info.dtype().byteSize();
        long total = info.numElements();
        int perChunk = (int) Math.min(total, Math.max(1, chunkBytes / srcSize));
        ByteBuffer chunk = ByteBuffer.allocate(perChunk * srcSize).order(ByteOrder.LITTLE_ENDIAN);
        long position = info.offset();
        int done = 0; // fits: the output, at least as many elements, fits in an int-sized buffer
        while (done < total) {
            int count = (int) Math.min(perChunk, total - done);
            chunk.clear().limit(count * srcSize);
            readFully(chunk, position);
            Conversions.convert(chunk, 0, info.dtype(), dst, done, out, count);
            done += count;
            position += (long) count * srcSize;
        }
    }

    private void readFully(ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new EOFException(file + ": unexpected end of file at byte " + pos
                        + " (was the file truncated after it was opened?)");
            }
            pos += n;
        }
    }

    private Map<String, TensorInfo> parseHeader(byte[] header, long fileSize, Map<String, String> meta)
            throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw corrupt("header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw corrupt("header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (METADATA_KEY.equals(name)) {
                parseMetadata(node, meta);
                continue;
            }
            if (!node.isObject()) {
                throw corrupt("entry for tensor '" + name + "' is not a JSON object");
            }
            JsonNode dtypeNode = node.get("dtype");
            if (dtypeNode == null || !dtypeNode.isTextual()) {
                throw corrupt("tensor '" + name + "' has no string \"dtype\"");
            }
            TensorDtype dtype;
            try {
                dtype = TensorDtype.fromSafetensorsName(dtypeNode.asText());
            } catch (IllegalArgumentException ex) {
                throw corrupt("tensor '" + name + "': " + ex.getMessage());
            }
            long[] dims = longArray(node.get("shape"), name, "shape", -1);
            long[] offsets = longArray(node.get("data_offsets"), name, "data_offsets", 2);
            long numel = 1;
            try {
                for (long d : dims) {
                    numel = Math.multiplyExact(numel, d);
                }
                numel = Math.multiplyExact(numel, (long) dtype.byteSize());
            } catch (ArithmeticException ex) {
                throw corrupt("tensor '" + name + "': shape " + Arrays.toString(dims)
                        + " is too large");
            }
            long expected = numel;
            long begin = offsets[0];
            long end = offsets[1];
            if (begin > end) {
                throw corrupt("tensor '" + name + "': data_offsets [" + begin + ", " + end + "] are reversed");
            }
            if (end > dataSize) {
                throw corrupt("tensor '" + name + "': data_offsets [" + begin + ", " + end
                        + "] are out of range: the data section holds only " + dataSize + " bytes");
            }
            if (end - begin != expected) {
                throw corrupt("tensor '" + name + "': data_offsets [" + begin + ", " + end + "] span "
                        + (end - begin) + " bytes but shape " + Arrays.toString(dims) + " of " + dtype
                        + " needs " + expected + " bytes (size mismatch)");
            }
            out.put(name, new TensorInfo(name, dtype, new Shape(dims), file, dataStart + begin, expected));
        }
        return out;
    }

    private void parseMetadata(JsonNode node, Map<String, String> meta) throws IOException {
        if (!node.isObject()) {
            throw corrupt("\"" + METADATA_KEY + "\" is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw corrupt("\"" + METADATA_KEY + "\" value for '" + m.getKey() + "' is not a string");
            }
            meta.put(m.getKey(), m.getValue().asText());
        }
    }

    private long[] longArray(JsonNode node, String tensor, String field, int requiredLength) throws IOException {
        if (node == null || !node.isArray()) {
            throw corrupt("tensor '" + tensor + "' has no \"" + field + "\" array");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw corrupt("tensor '" + tensor + "': \"" + field + "\" must have " + requiredLength
                    + " entries, has " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw corrupt("tensor '" + tensor + "': \"" + field + "\" entry " + v
                        + " is not a non-negative integer");
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private IOException corrupt(String problem) {
        return new IOException("invalid safetensors file " + file + ": " + problem);
    }
}
