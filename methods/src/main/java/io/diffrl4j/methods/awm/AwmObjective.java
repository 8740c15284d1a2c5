package io.diffrl4j.methods.awm;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.objective.ForwardNoise;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.VelocityPrediction;

/**
 * AWM's policy loss (arXiv 2509.25050; scxue/advantage_weighted_matching, {@code scripts/train_sd3_awm.py}):
 * the flow-matching loss on the policy's own clean samples, weighted per sample by its advantage.
 * Each sample gets {@link TrainingNoiseLevels#levelsPerSample()} levels; in pass {@code j}, with
 * {@code t} the sample's level and fresh noise {@code eps}:
 *
 * <pre>
 * x_t    = (1 - t) x0 + t eps
 * mse    = mean_dims((v_theta(x_t) - (eps - x0))^2)          (guidance 1: the configs' train.cfg = False)
 * a      = clip(A, -5, 5) / 5
 * policy = mean_i a_i w(mse_i, t_i)                          (w: the {@link TimeWeighting}, ghuber p = 0.25)
 * </pre>
 *
 * A positive advantage lowers the sample's matching error, a negative one raises it. The reference
 * writes it as a PPO loss on {@code log_prob = -w} with the ratio taken against its own detached
 * value, which is 1 on-policy (one optimizer step per rollout, as its configs): its gradient is this
 * one's. Groups whose rewards tie are trained (the reference's mask is commented out).
 *
 * <p>The pass's prediction is {@code v_theta} ({@link VelocityPrediction}), so the KLs of the recipe
 * are velocity MSEs, as the reference's {@code mean((v - v_ref)^2)}. Randomness is per row and does
 * not depend on how the epoch is cut: levels from {@code rowRng(i).fork(LEVELS_STREAM)} (or the
 * group's stream when the levels are shared within a group), noise from
 * {@code rowRng(i).fork(NOISE_STREAM + j)}. The reference computes the error in float64; this
 * objective in the model's float32. Metrics: {@code policy_loss}, {@code matching_mse}.
 *
 * <p>Holds the per-micro-batch level cache, so it is not thread-safe; it runs on the training thread.
 */
public final class AwmObjective implements PolicyObjective {
    /** The advantage clip, also its scale ({@code adv_clip_max = 5}, {@code advantage_max = 1}). */
    public static final double ADVANTAGE_CLIP = 5.0;
    /** The fork label of the noise-level draw. */
    public static final long LEVELS_STREAM = 0x4157_4D4C_0000_0000L;
    /** The fork label of pass 0's forward-process noise; pass j uses {@code NOISE_STREAM + j}. */
    public static final long NOISE_STREAM = 0x4157_4D4E_0000_0000L;

    private final ForwardNoise noise;
    private final TimeWeighting weighting;

    /**
     * @param noiseLevels where on the noise axis each sample is trained (the configs: 6 strata of
     *     the rollout's own levels, {@link StratifiedRolloutNoiseLevels#overIndices})
     * @param weighting how a sample's error at its level becomes its loss
     */
    public AwmObjective(TrainingNoiseLevels noiseLevels, TimeWeighting weighting) {
        if (weighting == null) {
            throw new IllegalArgumentException("AWM needs its time weighting");
        }
        this.noise = new ForwardNoise(noiseLevels, LEVELS_STREAM, NOISE_STREAM, false);
        this.weighting = weighting;
    }

    /** @return where each sample is trained */
    public TrainingNoiseLevels noiseLevels() {
        return noise.levels();
    }

    /** @return the time weighting */
    public TimeWeighting weighting() {
        return weighting;
    }

    @Override
    public int passes(MicroBatch batch) {
        return noise.passes();
    }

    @Override
    public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
        ForwardNoise.Draw d = noise.draw(batch, pass);
        NDArray x0 = batch.samples();
        NDArray t = d.t();
        NDArray xt = d.xt();
        NDArray v = model.velocity(xt, t, batch.conditioning());
        NDArray mse = FlowMatching.meanPerSample(v.sub(FlowMatching.velocityTarget(x0, d.eps())).square());
        NDArray a = ScalarMath.div(batch.advantages().clip(-ADVANTAGE_CLIP, ADVANTAGE_CLIP), ADVANTAGE_CLIP);
        NDArray loss = a.mul(weighting.apply(mse, t)).mean();
        metrics.add("policy_loss", loss);
        metrics.add("matching_mse", mse.mean());
        return new Pass(loss, new VelocityPrediction(batch, model, xt, t, v));
    }

    @Override
    public String toString() {
        return "AwmObjective{" + noise.levels() + ", " + weighting + "}";
    }
}
