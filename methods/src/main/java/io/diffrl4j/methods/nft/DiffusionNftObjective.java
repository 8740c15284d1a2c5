package io.diffrl4j.methods.nft;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.objective.ForwardNoise;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.VelocityPrediction;

/**
 * DiffusionNFT's forward-process policy loss (docs/ALGORITHMS.md 5): only the clean samples {@code x0}
 * (b, ...) and the advantages (b) are used, so any sampler will do.
 *
 * <p>Each sample gets a row of {@link TrainingNoiseLevels#levelsPerSample()} noise levels, drawn
 * once per micro-batch; pass {@code j} uses column {@code j}, so a micro-batch takes
 * {@code levelsPerSample()} passes. In pass {@code j}, with {@code s} the sample's level and fresh
 * noise {@code eps}:
 *
 * <pre>
 * x_t    = (1 - s) x0 + s eps
 * v_pos  = beta v_theta + (1 - beta) sg(v_old) ;  v_neg = (1 + beta) sg(v_old) - beta v_theta
 * x0_pos = x_t - s v_pos ;  x0_neg = x_t - s v_neg
 * L_pos  = mean_dims((x0_pos - x0)^2) / max(sg(mean_dims|x0_pos - x0|), 1e-5)   (likewise L_neg)
 * r~     = clip(A / 5 / 2 + 0.5, 0, 1)
 * policy = mean_i 5 (r~_i L_pos,i + (1 - r~_i) L_neg,i) / beta
 * </pre>
 *
 * where {@code v_theta} is the policy's conditional velocity (guidance 1) and {@code v_old} the same
 * with the "old" adapter set active. The pass's {@link Prediction} is {@code v_theta} (b, ...):
 * {@link Prediction#under} evaluates the velocity at the same {@code x_t} under another set and
 * guidance scale (CFG with the batch's unconditional conditioning when the scale is not 1), without
 * gradient and cached per pass; {@link Prediction#guidance()} is 1 and {@link Prediction#klScale} is
 * 1 for both forms, which makes the baseline KL the plain velocity MSE.
 *
 * <p>Randomness is deterministic and per row: row {@code i}'s levels come from {@code
 * batch.rowRng(i).fork(LEVELS_STREAM)} and its noise in pass {@code j} from {@code
 * batch.rowRng(i).fork(NOISE_STREAM + j)}, so neither depends on the order of calls, nor on which
 * other rows share the micro-batch: a group trained as several smaller micro-batches
 * ({@code TrainerConfig.imagesPerMicroBatch}) sees exactly the {@code x_t} it would see whole, and as
 * the loss is a mean of per-sample terms, the gradient accumulated over the parts equals the whole
 * group's. The drawn level matrix is cached for the most recent micro-batch (by identity) so that it
 * is drawn once although {@link #evaluate} runs per pass.
 *
 * <p>Ownership: every array created here (noise, {@code x_t}, velocities, the loss, the cached
 * reference velocities) belongs to the manager that owns {@code batch.samples()} when
 * {@link #evaluate} is called: {@code batch.manager()} by {@link MicroBatch}'s contract, or the
 * per-pass scope a trainer temporarily attached the batch to, so that a pass's graph is freed with
 * the pass. Reported metrics: {@code policy_loss},
 * {@code loss_pos} and {@code loss_neg} (batch means of {@code L_pos} and {@code L_neg}).
 *
 * <p>Holds the per-micro-batch cache, so it is not thread-safe; it runs on the training thread.
 */
public final class DiffusionNftObjective implements PolicyObjective {
    /** DiffusionNFT's default {@code beta_nft}. */
    public static final double DEFAULT_BETA = 1.0;
    /** The advantage clip the optimality probability is normalised by (Flow-GRPO's advantage clip). */
    public static final double ADVANTAGE_SCALE = 5.0;
    /**
     * Floor of the adaptive weight: a sample whose prediction is already exact would otherwise divide
     * 0 by 0 (the reference code and CRD clamp at the same value).
     */
    public static final double WEIGHT_FLOOR = 1e-5;
    /** The fork label of the noise-level draw. */
    public static final long LEVELS_STREAM = 0x4E46_544C_0000_0000L;
    /** The fork label of pass 0's forward-process noise; pass j uses {@code NOISE_STREAM + j}. */
    public static final long NOISE_STREAM = 0x4E46_5445_0000_0000L;

    private final double beta;
    private final ForwardNoise noise;
    private final String oldSet;
    private final AdvantageMode advantageMode;

    /**
     * DiffusionNFT's defaults: {@code beta_nft = 1}, {@link RolloutNoiseLevels} of its 10-step shift-3
     * rollouts (9 per sample), the {@code "old"} set.
     */
    public DiffusionNftObjective() {
        this(DEFAULT_BETA, new RolloutNoiseLevels(10, 3.0, 0.99), AdapterRoles.OLD);
    }

    /**
     * @param beta {@code beta_nft}, finite and {@code > 0}
     * @param noiseLevels where on the noise axis each sample is trained
     * @param oldSet the adapter set of the slowly moving "old" model
     */
    public DiffusionNftObjective(double beta, TrainingNoiseLevels noiseLevels, String oldSet) {
        this(beta, noiseLevels, oldSet, AdvantageMode.ALL);
    }

    /**
     * @param beta {@code beta_nft}, finite and {@code > 0}
     * @param noiseLevels where on the noise axis each sample is trained
     * @param oldSet the adapter set of the slowly moving "old" model
     * @param advantageMode the reference's {@code adv_mode} applied to the clipped advantage
     */
    public DiffusionNftObjective(double beta, TrainingNoiseLevels noiseLevels, String oldSet, AdvantageMode advantageMode) {
        if (advantageMode == null) {
            throw new IllegalArgumentException("advantageMode must not be null");
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("betaNft must be finite and > 0, got " + beta);
        }
        if (oldSet == null || oldSet.isBlank()) {
            throw new IllegalArgumentException("oldSet must name an adapter set");
        }
        this.beta = beta;
        this.noise = new ForwardNoise(noiseLevels, LEVELS_STREAM, NOISE_STREAM, false);
        this.oldSet = oldSet;
        this.advantageMode = advantageMode;
    }

    /** @return the {@code adv_mode} applied to the clipped advantage */
    public AdvantageMode advantageMode() {
        return advantageMode;
    }

    /** @return {@code beta_nft} */
    public double beta() {
        return beta;
    }

    /** @return the noise-level strategy */
    public TrainingNoiseLevels noiseLevels() {
        return noise.levels();
    }

    /** @return the name of the "old" adapter set */
    public String oldSet() {
        return oldSet;
    }

    @Override
    public int passes(MicroBatch batch) {
        return noise.passes();
    }

    @Override
    public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
        ForwardNoise.Draw d = noise.draw(batch, pass);
        NDArray x0 = batch.samples();
        NDArray sigma = d.t();
        NDArray xt = d.xt();

        NDArray vTheta = model.velocity(xt, sigma, batch.conditioning());
        NDArray vOld = model.adapters().with(oldSet, () -> model.velocity(xt, sigma, batch.conditioning())).stopGradient();

        NDArray vPos = ScalarMath.mul(vTheta, beta).add(ScalarMath.mul(vOld, 1 - beta));
        NDArray vNeg = ScalarMath.mul(vOld, 1 + beta).sub(ScalarMath.mul(vTheta, beta));
        NDArray lossPos = adaptiveLoss(FlowMatching.x0FromVelocity(xt, sigma, vPos), x0);
        NDArray lossNeg = adaptiveLoss(FlowMatching.x0FromVelocity(xt, sigma, vNeg), x0);

        // Scalars enter as float: a float64 scalar times a 0-d float32 array would promote to float64.
        NDArray r = ScalarMath.div(advantageMode.apply(batch.advantages()), ADVANTAGE_SCALE * 2).add(0.5f).clip(0f, 1f);
        NDArray perSample = r.mul(lossPos).add(r.neg().add(1f).mul(lossNeg));
        NDArray loss = ScalarMath.mul(perSample, ADVANTAGE_SCALE / beta).mean();

        metrics.add("policy_loss", loss);
        metrics.add("loss_pos", lossPos.mean());
        metrics.add("loss_neg", lossNeg.mean());
        return new Pass(loss, new VelocityPrediction(batch, model, xt, sigma, vTheta).withKnown(oldSet, vOld));
    }

    /**
     * {@code mean_dims((pred - x0)^2) / max(sg(mean_dims|pred - x0|), 1e-5)}, shape (b).
     */
    private static NDArray adaptiveLoss(NDArray prediction, NDArray x0) {
        NDArray diff = prediction.sub(x0);
        NDArray weight = ScalarMath.maximum(FlowMatching.meanPerSample(diff.stopGradient().abs()), WEIGHT_FLOOR);
        return FlowMatching.meanPerSample(diff.square()).div(weight);
    }

    /** @return the micro-batch's levels, drawn once and cached for the most recent micro-batch */
    double[][] levels(MicroBatch batch) {
        return noise.levels(batch);
    }

    /** @return pass {@code pass}'s standard normal noise of the samples' shape, in the samples' current manager */
    NDArray noise(MicroBatch batch, int pass) {
        return noise.noise(batch, pass);
    }

    @Override
    public java.util.List<String> adapterSets() {
        return oldSet == null ? java.util.List.of() : java.util.List.of(oldSet);
    }
}
