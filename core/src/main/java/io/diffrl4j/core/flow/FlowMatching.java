package io.diffrl4j.core.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The rectified-flow identities of SD3 (docs/ALGORITHMS.md section 1). {@code sigma = 1} is pure noise and
 * {@code sigma = 0} is data; {@code x_sigma = (1 - sigma) x0 + sigma eps} and the velocity is
 * {@code eps - x0}.
 *
 * <p>Every {@code sigma} argument is either a scalar array or a per-sample array of shape (B); it
 * is broadcast over the non-batch dimensions of {@code x}. Results belong to the manager of the
 * first array argument, as DJL ops do.
 */
public final class FlowMatching {
    private FlowMatching() {}

    /** @return {@code (1 - sigma) x0 + sigma eps} */
    public static NDArray interpolate(NDArray x0, NDArray eps, NDArray sigma) {
        NDArray s = broadcastable(sigma, x0);
        return x0.mul(s.neg().add(1)).add(eps.mul(s));
    }

    /** @return the velocity target {@code eps - x0} */
    public static NDArray velocityTarget(NDArray x0, NDArray eps) {
        return eps.sub(x0);
    }

    /** @return the data prediction {@code x - sigma v} */
    public static NDArray x0FromVelocity(NDArray x, NDArray sigma, NDArray v) {
        return x.sub(v.mul(broadcastable(sigma, x)));
    }

    /** @return the noise prediction {@code x + (1 - sigma) v} */
    public static NDArray epsFromVelocity(NDArray x, NDArray sigma, NDArray v) {
        return x.add(v.mul(broadcastable(sigma, x).neg().add(1)));
    }

    /**
     * Reshapes a per-sample (B) array to (B, 1, ..., 1) so it broadcasts against {@code like};
     * scalars pass through.
     *
     * @param perSample a scalar or an array of shape (B)
     * @param like an array of shape (B, ...)
     * @return a view that broadcasts against {@code like}
     */
    public static NDArray broadcastable(NDArray perSample, NDArray like) {
        if (perSample.getShape().dimension() == 0 || perSample.getShape().dimension() == like.getShape().dimension()) {
            return perSample;
        }
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = perSample.getShape().get(0);
        return perSample.reshape(new Shape(dims));
    }

    /**
     * The mean over all non-batch dimensions, which is how per-sample losses and log-probabilities
     * are reduced throughout the library.
     *
     * @param x an array of shape (B, ...)
     * @return an array of shape (B)
     */
    public static NDArray meanPerSample(NDArray x) {
        if (x.getShape().dimension() <= 1) {
            return x;
        }
        return x.reshape(x.getShape().get(0), -1).mean(new int[] {1});
    }

    /** @param x an array of shape (B, ...) @return the sum over non-batch dimensions, shape (B) */
    public static NDArray sumPerSample(NDArray x) {
        if (x.getShape().dimension() <= 1) {
            return x;
        }
        return x.reshape(x.getShape().get(0), -1).sum(new int[] {1});
    }
}
