package io.diffrl4j.core.weights;

import ai.djl.ndarray.types.DataType;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The element types a safetensors file may declare, with their on-disk name ({@code "F32"}, {@code "BF16"}, ...)
 * and size in bytes. All multi-byte types are stored little-endian.
 *
 * <p>{@link #BF16} and {@link #I16} have no DJL type here: an NDArray of DJL's 16-bit brain-float or 16-bit
 * integer type aborts the JVM with the PyTorch engine used here (DJL 0.35.1, measured), so readers convert bf16
 * data to fp32 or fp16 and widen i16 to INT32 while reading, and {@link #dataType()} refuses both, which makes
 * creating such an array from a safetensors dtype impossible rather than merely forbidden.
 */
public enum TensorDtype {
    /** IEEE 754 binary64. */
    F64("F64", 8, DataType.FLOAT64),
    /** IEEE 754 binary32. */
    F32("F32", 4, DataType.FLOAT32),
    /** IEEE 754 binary16. */
    F16("F16", 2, DataType.FLOAT16),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16("BF16", 2, null),
    /** Signed 64-bit integer. */
    I64("I64", 8, DataType.INT64),
    /** Signed 32-bit integer. */
    I32("I32", 4, DataType.INT32),
    /** Signed 16-bit integer. */
    I16("I16", 2, null),
    /** Signed 8-bit integer. */
    I8("I8", 1, DataType.INT8),
    /** Unsigned 8-bit integer. */
    U8("U8", 1, DataType.UINT8),
    /** Boolean, one byte per element (0 or 1). */
    BOOL("BOOL", 1, DataType.BOOLEAN);

    private final String safetensorsName;
    private final int byteSize;
    private final DataType dataType;

    TensorDtype(String safetensorsName, int byteSize, DataType dataType) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.dataType = dataType;
    }

    /** @return the name used in the safetensors header, e.g. {@code "BF16"} */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** @return bytes per element */
    public int byteSize() {
        return byteSize;
    }

    /** @return true for F64, F32, F16 and BF16 */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * The DJL type arrays of this dtype are created with.
     *
     * @return the matching DJL data type
     * @throws IllegalStateException for {@link #BF16} and {@link #I16}, whose arrays abort the JVM (see the class
     *     comment; read them as fp32 / fp16 or INT32)
     */
    public DataType dataType() {
        if (dataType == null) {
            throw new IllegalStateException(safetensorsName + " tensors cannot become NDArrays with the PyTorch engine "
                    + "(it aborts the JVM); read them converted (bf16 to fp32 or fp16, i16 to INT32)");
        }
        return dataType;
    }

    /**
     * Looks up a dtype by its safetensors header name (exact, upper-case as in the format).
     *
     * @param name the header name, e.g. {@code "F16"}
     * @return the dtype
     * @throws IllegalArgumentException if the name is not one of the supported dtypes
     */
    public static TensorDtype fromSafetensorsName(String name) {
        for (TensorDtype d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype '" + name + "' (supported: "
                + Arrays.stream(values()).map(TensorDtype::safetensorsName).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * Maps a DJL data type to its safetensors dtype.
     *
     * @param type a DJL data type
     * @return the dtype
     * @throws IllegalArgumentException if safetensors has no such dtype (or this project does not support it)
     */
    public static TensorDtype fromDataType(DataType type) {
        for (TensorDtype d : values()) {
            if (d.dataType != null && d.dataType == type) {
                return d;
            }
        }
        throw new IllegalArgumentException("DJL data type " + String.valueOf(type).toUpperCase(Locale.ROOT)
                + " has no supported safetensors dtype");
    }
}
