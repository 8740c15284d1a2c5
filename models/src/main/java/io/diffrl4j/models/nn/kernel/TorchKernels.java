package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;

/**
 * ATen ops DJL does not expose, run as TorchScript kernels from the {@linkplain
 * KernelRegistry#global() JVM-wide registry}. Every call returns an array owned by the first
 * input's manager, works inside a {@code GradientCollector} (gradients reach every input,
 * weights included) and throws {@link KernelException} if the kernel cannot be loaded; {@link
 * Kernels} and {@link AttentionBackend#auto()} fall back to {@link ComposedKernels} instead.
 */
public final class TorchKernels {

    /**
     * {@code torch.scaled_dot_product_attention(q, k, v)}: no mask, no dropout, scale
     * 1/sqrt(D).
     */
    public static final KernelSpec SDPA =
            new KernelSpec(
                    "SdpaKernel",
                    """
                    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
                        return torch.scaled_dot_product_attention(q, k, v)
                    """);

    /** {@code torch.nn.functional.gelu(x, approximate="tanh")}. */
    public static final KernelSpec GELU_TANH =
            new KernelSpec(
                    "GeluTanhKernel",
                    """
                    def forward(self, x: Tensor) -> Tensor:
                        return torch.gelu(x, approximate="tanh")
                    """);

    // TorchScript ScalarType codes (c10/core/ScalarType.h) used in the sources below; the
    // serialized-code dialect has no torch.float32 & co.
    private static final int FLOAT16 = 5;
    private static final int FLOAT32 = 6;
    private static final int BF16_CODE = 15;

    /** {@code x.to(float16)}, differentiable (DJL's {@code toType} is not: it detaches). */
    public static final KernelSpec TO_FLOAT16 =
            new KernelSpec(
                    "ToFloat16Kernel",
                    """
                    def forward(self, x: Tensor) -> Tensor:
                        return x.to(5)
                    """);

    /** {@code x.to(float32)}, differentiable (DJL's {@code toType} is not: it detaches). */
    public static final KernelSpec TO_FLOAT32 =
            new KernelSpec(
                    "ToFloat32Kernel",
                    """
                    def forward(self, x: Tensor) -> Tensor:
                        return x.to(6)
                    """);

    private TorchKernels() {}

    /**
     * Casts between FLOAT32 and FLOAT16 keeping the autograd graph (gradients flow back through
     * the cast, as with PyTorch's {@code .to(dtype)}); DJL's {@code toType} cuts the graph.
     *
     * @param x the input
     * @param type FLOAT32 or FLOAT16
     * @return {@code x} itself when it already has that type, else the cast array in {@code x}'s manager
     */
    public static NDArray cast(NDArray x, ai.djl.ndarray.types.DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        switch (type) {
            case FLOAT16:
                return KernelRegistry.global().get(TO_FLOAT16).apply(x);
            case FLOAT32:
                return KernelRegistry.global().get(TO_FLOAT32).apply(x);
            default:
                throw new IllegalArgumentException("differentiable casts go to FLOAT16 or FLOAT32, not " + type);
        }
    }

    /**
     * Fused scaled-dot-product attention, {@code softmax(q k^T / sqrt(D)) v}.
     *
     * @param q queries (B, H, Tq, D)
     * @param k keys (B, H, Tk, D)
     * @param v values (B, H, Tk, Dv)
     * @return (B, H, Tq, Dv), owned by {@code q}'s manager
     */
    public static NDArray sdpa(NDArray q, NDArray k, NDArray v) {
        return KernelRegistry.global().get(SDPA).apply(q, k, v);
    }

    /**
     * RMS norm over the last axis, exactly as diffusers' {@code RMSNorm.forward} (non-NPU
     * path): the variance is computed in float32, {@code x * rsqrt(variance + eps)} (which is
     * float32 after type promotion); with a weight, the result is cast to the weight's dtype if
     * that is float16/bfloat16 and multiplied by the weight (so a float16 input with a float32
     * weight gives float32, as in diffusers); without one it is cast back to the input dtype.
     *
     * @param x the input (..., D)
     * @param weight the scale (D), or {@code null}
     * @param eps the epsilon added to the mean square
     * @return the normalized array, owned by {@code x}'s manager
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        return rmsNorm(KernelRegistry.global().get(rmsNormSpec(eps, weight != null)), x, weight);
    }

    static NDArray rmsNorm(TorchKernel kernel, NDArray x, NDArray weight) {
        return weight == null ? kernel.apply(x) : kernel.apply(x, weight);
    }

    /**
     * {@code torch.group_norm(x, groups, weight, bias, eps)}: per sample and group of channels,
     * subtract the mean and divide by {@code sqrt(biased variance + eps)}, then apply the
     * per-channel affine transform.
     *
     * @param x the input (N, C, *)
     * @param groups the number of groups; divides C
     * @param weight per-channel scale (C), or {@code null}
     * @param bias per-channel shift (C), or {@code null}
     * @param eps the epsilon added to the variance
     * @return the normalized array, owned by {@code x}'s manager
     */
    public static NDArray groupNorm(
            NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        KernelSpec spec = groupNormSpec(groups, eps, weight != null, bias != null);
        return groupNorm(KernelRegistry.global().get(spec), x, weight, bias);
    }

    static NDArray groupNorm(TorchKernel kernel, NDArray x, NDArray weight, NDArray bias) {
        if (weight != null && bias != null) {
            return kernel.apply(x, weight, bias);
        } else if (weight != null) {
            return kernel.apply(x, weight);
        } else if (bias != null) {
            return kernel.apply(x, bias);
        }
        return kernel.apply(x);
    }

    /**
     * The tanh approximation of GELU, {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     * (DJL's {@code Activation.gelu} is the exact, erf-based GELU.)
     *
     * @param x the input
     * @return the activation, owned by {@code x}'s manager
     */
    public static NDArray geluTanh(NDArray x) {
        return KernelRegistry.global().get(GELU_TANH).apply(x);
    }

    /**
     * Whether the fused attention kernel loads (the PyTorch engine is present and works).
     *
     * @return {@code true} if {@link #sdpa} can run
     */
    public static boolean isAvailable() {
        return KernelRegistry.global().tryGet(SDPA).isPresent();
    }

    /**
     * The spec of the RMS norm kernel for one epsilon (baked into the source).
     *
     * @param eps the epsilon, finite and non-negative
     * @param weighted whether {@code forward} takes a weight
     * @return the spec
     */
    public static KernelSpec rmsNormSpec(double eps, boolean weighted) {
        String epsLiteral = floatLiteral(eps);
        String name = "RmsNorm" + (weighted ? "W" : "") + "Kernel_eps_" + nameSafe(epsLiteral);
        String body =
                weighted
                        ? """
                        def forward(self, x: Tensor, weight: Tensor) -> Tensor:
                            variance = x.to(%2$d).pow(2).mean(-1, keepdim=True)
                            y = x * torch.rsqrt(variance + %1$s)
                            if weight.dtype == %3$d or weight.dtype == %4$d:
                                y = y.to(weight.dtype)
                            return y * weight
                        """
                        : """
                        def forward(self, x: Tensor) -> Tensor:
                            variance = x.to(%2$d).pow(2).mean(-1, keepdim=True)
                            y = x * torch.rsqrt(variance + %1$s)
                            return y.to(x.dtype)
                        """;
        return new KernelSpec(name, body.formatted(epsLiteral, FLOAT32, FLOAT16, BF16_CODE));
    }

    /**
     * The spec of the group norm kernel for one group count and epsilon.
     *
     * @param groups the number of groups, positive
     * @param eps the epsilon, finite and non-negative
     * @param weighted whether {@code forward} takes a weight
     * @param biased whether {@code forward} takes a bias (after the weight, if any)
     * @return the spec
     */
    public static KernelSpec groupNormSpec(
            int groups, double eps, boolean weighted, boolean biased) {
        if (groups <= 0) {
            throw new IllegalArgumentException("groups must be positive: " + groups);
        }
        String epsLiteral = floatLiteral(eps);
        String name =
                "GroupNorm"
                        + (weighted ? "W" : "")
                        + (biased ? "B" : "")
                        + "Kernel_g"
                        + groups
                        + "_eps_"
                        + nameSafe(epsLiteral);
        String source =
                """
                def forward(self, x: Tensor%s%s) -> Tensor:
                    return torch.group_norm(x, %d, %s, %s, %s)
                """
                        .formatted(
                                weighted ? ", weight: Tensor" : "",
                                biased ? ", bias: Tensor" : "",
                                groups,
                                weighted ? "weight" : "None",
                                biased ? "bias" : "None",
                                epsLiteral);
        return new KernelSpec(name, source);
    }

    /** A TorchScript float literal that parses back to exactly {@code v}. */
    static String floatLiteral(double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw new IllegalArgumentException("eps must be finite and non-negative: " + v);
        }
        return Double.toString(v); // shortest round-trip form, e.g. 1.0E-6; TorchScript reads it
    }

    private static String nameSafe(String literal) {
        StringBuilder sb = new StringBuilder(literal.length());
        for (char c : literal.toCharArray()) {
            switch (c) {
                case '.' -> sb.append('p');
                case '-' -> sb.append('m');
                case '+' -> { }
                default -> sb.append(Character.isLetterOrDigit(c) ? c : '_');
            }
        }
        return sb.toString();
    }
}
