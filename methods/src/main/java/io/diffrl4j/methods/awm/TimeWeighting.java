package io.diffrl4j.methods.awm;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.ScalarMath;

/**
 * How AWM turns a sample's flow-matching error {@code mse = mean_dims((v - (eps - x0))^2)} at noise
 * level {@code t} into its loss (the negative of the reference's {@code log_prob},
 * {@code compute_log_prob_awm} in {@code scripts/train_sd3_awm.py}):
 *
 * <pre>
 * uniform   mse
 * t         mse t
 * t^2       mse t^2
 * huber     (sqrt(mse + 1e-10) - 1e-5) t
 * ghuber    ((mse + 1e-10)^p - 1e-10^p) t / p      (every config: p = 0.25)
 * </pre>
 *
 * The generalised Huber form grows like {@code mse^p}: a sample the model already fits badly
 * weighs less than its squared error would make it. Immutable.
 */
public final class TimeWeighting {
    private static final double EPS = 1e-10;

    private enum Kind { UNIFORM, T, T_SQUARED, HUBER, GHUBER }

    private final Kind kind;
    private final double power;

    private TimeWeighting(Kind kind, double power) {
        this.kind = kind;
        this.power = power;
    }

    /** @return {@code mse} */
    public static TimeWeighting uniform() {
        return new TimeWeighting(Kind.UNIFORM, 1);
    }

    /** @return {@code mse t} */
    public static TimeWeighting t() {
        return new TimeWeighting(Kind.T, 1);
    }

    /** @return {@code mse t^2} */
    public static TimeWeighting tSquared() {
        return new TimeWeighting(Kind.T_SQUARED, 1);
    }

    /** @return {@code (sqrt(mse + 1e-10) - 1e-5) t} */
    public static TimeWeighting huber() {
        return new TimeWeighting(Kind.HUBER, 0.5);
    }

    /**
     * @param power {@code p} in (0, 1] ({@code ghuber_power}; every config 0.25)
     * @return {@code ((mse + 1e-10)^p - 1e-10^p) t / p}
     */
    public static TimeWeighting ghuber(double power) {
        if (!(power > 0 && power <= 1)) {
            throw new IllegalArgumentException("the generalised Huber power must be in (0, 1], got " + power);
        }
        return new TimeWeighting(Kind.GHUBER, power);
    }

    /**
     * @param mse per-sample mean squared error (b)
     * @param t per-sample noise level (b)
     * @return per-sample loss (b), differentiable in {@code mse}
     */
    public NDArray apply(NDArray mse, NDArray t) {
        switch (kind) {
            case UNIFORM:
                return mse;
            case T:
                return mse.mul(t);
            case T_SQUARED:
                return mse.mul(t).mul(t);
            case HUBER:
                return ScalarMath.pow(mse.add((float) EPS), 0.5).sub((float) Math.sqrt(EPS)).mul(t);
            default:
                NDArray grown = ScalarMath.pow(mse.add((float) EPS), power).sub((float) Math.pow(EPS, power));
                return ScalarMath.div(grown.mul(t), power);
        }
    }

    @Override
    public String toString() {
        return kind == Kind.GHUBER ? "ghuber(p=" + power + ")" : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
