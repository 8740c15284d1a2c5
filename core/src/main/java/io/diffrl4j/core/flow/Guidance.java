package io.diffrl4j.core.flow;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;

/**
 * Classifier-free guidance: {@code v = v_uncond + w (v_cond - v_uncond)}. With {@code w = 1} the
 * model runs once on the conditional batch; otherwise the unconditional and conditional halves
 * run together in one forward pass of batch 2B, as diffusers' pipeline does. Results and
 * temporaries belong to {@code x}'s manager.
 */
public final class Guidance {
    private Guidance() {}

    /** @return {@code vUncond + w (vCond - vUncond)} */
    public static NDArray combine(NDArray vUncond, NDArray vCond, double w) {
        return vUncond.add(ScalarMath.mul(vCond.sub(vUncond), w));
    }

    /**
     * @param model the velocity field
     * @param x inputs (B, ...)
     * @param sigma noise levels (B)
     * @param cond conditional text of batch B
     * @param uncond unconditional text of batch B (ignored when {@code w == 1})
     * @param w guidance scale; 1 disables guidance
     * @return the guided velocity (B, ...)
     */
    public static NDArray velocity(
            FlowModel model, NDArray x, NDArray sigma, Conditioning cond, Conditioning uncond, double w) {
        if (w == 1.0) {
            return model.velocity(x, sigma, cond);
        }
        if (uncond == null) {
            throw new IllegalArgumentException("guidance scale " + w + " needs an unconditional conditioning");
        }
        int b = Math.toIntExact(x.getShape().get(0));
        NDArray both = model.velocity(
                NDArrays.concat(new NDList(x, x), 0),
                NDArrays.concat(new NDList(sigma, sigma), 0),
                uncond.concat(cond, x.getManager()));
        NDList halves = both.split(2, 0);
        if (halves.get(0).getShape().get(0) != b) {
            throw new IllegalStateException("model returned batch " + both.getShape() + " for 2 x " + b);
        }
        return combine(halves.get(0), halves.get(1), w);
    }
}
