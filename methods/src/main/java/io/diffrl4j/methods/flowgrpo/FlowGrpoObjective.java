package io.diffrl4j.methods.flowgrpo;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flow-GRPO's clipped-ratio policy loss over recorded SDE steps (docs/ALGORITHMS.md 4).
 *
 * <p>A micro-batch takes one pass per recorded step ({@code batch.steps().size()}). Pass {@code j}
 * re-evaluates step {@code j} of the rollout under the current policy: the velocity at the step's
 * input {@code x} (b, ...) and noise level, with classifier-free guidance inside the training forward
 * at the sampler's scale {@code w} (one forward of batch 2b, unconditional half first, and
 * {@code v = v_uncond + w (v_cond - v_uncond)} with gradients through both halves, as the current
 * reference code (flow_grpo's and GARDO's {@code compute_log_prob}) does; the earlier flow_grpo form
 * {@code v = sg(v_uncond) + w (v_cond - sg(v_uncond))} is the {@code detachUnconditional} option;
 * {@code w = 1} is a single conditional forward), then the sampler's own step rule re-scores the recorded next sample:
 *
 * <pre>
 * ratio  = exp(logp_theta - logp_old)
 * policy = mean_i max(-A_i ratio_i, -A_i clip(ratio_i, 1 - eps_clip, 1 + eps_clip))
 * </pre>
 *
 * <p><b>RatioNorm</b> ({@link #withRatioNorm}, GRPO-Guard, flow_grpo's {@code train_sd3_GRPO_Guard.py}):
 * the log-ratio is corrected for its bias and put on one scale across steps, and each step's loss
 * is reweighted by {@code 1 / |dt|}, with {@code s = std_dev_t sqrt(|dt|)} the transition std and
 * {@code mean_d} over a sample's elements:
 *
 * <pre>
 * log ratio = (logp_theta - logp_old + mean_d((mu_theta - mu_old)^2) / (2 s^2)) * s  ( = mean_d(eps * (mu_theta - mu_old)) )
 * policy    = mean_i max(-A_i ratio_i, -A_i clip(ratio_i, 1 - eps_clip, 1 + eps_clip)) / |dt|
 * </pre>
 *
 * Without it the ratio's mean falls below 1 and its spread differs from step to step, which the
 * paper shows lets the clip miss over-confident updates. The correction carries gradient (the
 * reference does not detach it). It needs Flow-GRPO's SDE step with per-sample mean
 * log-probabilities (the reference's), and refuses any other step rule.
 *
 * <p><b>A random share of the steps per image</b> ({@link #withStepFraction}, DanceGRPO's
 * {@code timestep_fraction}): each image trains on {@code m = floor(K f)} of the {@code K} recorded
 * steps, the first {@code m} of its own random permutation of them (drawn from the image's epoch
 * stream, {@link MicroBatch#rowRng}, so it does not depend on how the epoch is cut into
 * micro-batches), and the loss is the mean over the trained (image, step) pairs, as DanceGRPO's
 * {@code loss / (gradient_accumulation_steps * train_timesteps)}. Pass {@code j} still evaluates
 * every row of the micro-batch and masks the rows that do not train step {@code j}, so that a
 * regularizer sees the whole batch; a row-gathering pass would save the {@code 1 - f} share of
 * training forwards.
 *
 * <p><b>Noise-aware weighting</b> ({@link #withNoiseAwareWeight}, TempFlow-GRPO's
 * {@code train_sd3_pr.py}): pass {@code j}'s loss is multiplied by {@code c s_j}, with {@code s_j =
 * std_dev_t sqrt(|dt|)} the transition std of its step, so that the high-noise steps, where an image's
 * layout is decided, weigh more than the late refining ones.
 *
 * <p>The pass's {@link Prediction} is the transition mean (b, ...): {@link Prediction#under} gives
 * the same mean with another adapter set at a given guidance scale (no gradient, cached per pass),
 * and {@link Prediction#klScale} is {@code 1 / (2 std_dev_t^2)} (CODE) or
 * {@code 1 / (2 std_dev_t^2 |dt|)} (PAPER) as a scalar array.
 *
 * <p>Ownership: every array this objective creates (the loss, the prediction, the cached reference
 * means, the scalars) belongs to the manager that owns the recorded step's {@code x} when
 * {@link #evaluate} is called: {@code batch.manager()} by {@link MicroBatch}'s contract, or the
 * per-pass scope a trainer temporarily attached the batch to, so that a pass's graph is freed with
 * the pass. Callers must use the pass's arrays before that owner closes. Reported metrics: {@code policy_loss}, {@code clip_fraction} (share of samples
 * with {@code |ratio - 1| > eps_clip}), {@code ratio_mean}, {@code approx_kl}
 * ({@code 0.5 mean((logp_theta - logp_old)^2)}).
 *
 * <p>Immutable; {@link #evaluate} drives the model and so runs on the training thread only.
 */
public final class FlowGrpoObjective implements PolicyObjective {
    private static final Logger LOG = LoggerFactory.getLogger(FlowGrpoObjective.class);

    /** Flow-GRPO's clip range for SD3.5-Medium. */
    public static final double DEFAULT_CLIP_RANGE = 1e-4;

    // Recorded sigmas are float64 copies of the schedule's own values, so they match exactly; the
    // tolerance only forgives a schedule rebuilt through a different arithmetic path.
    private static final double SIGMA_TOLERANCE = 1e-9;

    private final double clipRange;
    private final boolean detachUnconditional;
    private final double klReward;
    private final GroupRelativeAdvantage stepAdvantages;
    private final Shaping shaping;

    /**
     * How each pass's loss is shaped beyond Flow-GRPO's: GRPO-Guard's RatioNorm, DanceGRPO's share
     * of steps per image, TempFlow-GRPO's noise-aware weight (0: none).
     */
    private record Shaping(boolean ratioNorm, double stepFraction, double noiseWeight) {
        Shaping {
            if (!(stepFraction > 0 && stepFraction <= 1)) {
                throw new IllegalArgumentException("the share of steps trained per image must be in (0, 1], got " + stepFraction);
            }
            if (!(noiseWeight >= 0) || Double.isInfinite(noiseWeight)) {
                throw new IllegalArgumentException("the noise-aware weight's scale must be finite and >= 0, got " + noiseWeight);
            }
        }
    }

    // The label of the draw that picks an image's trained steps from its epoch stream.
    private static final long STEP_STREAM = 0x73746570L;

    /** Flow-GRPO's defaults: clip range {@value #DEFAULT_CLIP_RANGE}, gradient through both CFG halves. */
    public FlowGrpoObjective() {
        this(DEFAULT_CLIP_RANGE);
    }

    /** @param clipRange {@code eps_clip}, finite and {@code > 0} */
    public FlowGrpoObjective(double clipRange) {
        this(clipRange, false);
    }

    /**
     * @param clipRange {@code eps_clip}, finite and {@code > 0}
     * @param detachUnconditional whether the unconditional half of the guided training velocity is a
     *     constant (the earlier flow_grpo code) instead of carrying gradient (the current reference)
     */
    public FlowGrpoObjective(double clipRange, boolean detachUnconditional) {
        this(clipRange, detachUnconditional, 0, null);
    }

    /**
     * Flow-GRPO with its former KL-in-reward ({@code config.sample.kl_reward}, removed from flow_grpo
     * in commit 2d76907 and 0 in every config it shipped): the reward of image {@code i} at recorded
     * step {@code t} is {@code r_i - klReward * kl_it}, with {@code kl_it} the sampling policy's KL to
     * the reference at that step ({@link RewardBatch#referenceKl()}, recorded by a
     * {@code ReferenceKlSampler}); each step's column is normalised on its own by
     * {@code stepAdvantages} (the reference's stat tracker on its 2-d rewards: group mean, the
     * batch's or the group's std per step, clip), and pass {@code t} trains on that column instead of
     * the micro-batch's per-image advantages.
     *
     * @param clipRange {@code eps_clip}, finite and {@code > 0}
     * @param detachUnconditional whether the unconditional half of the guided training velocity is a constant
     * @param klReward the KL-in-reward coefficient, finite and {@code >= 0}; 0 trains on the per-image advantages
     * @param stepAdvantages how each step's rewards become advantages; needed when {@code klReward > 0}
     */
    public FlowGrpoObjective(double clipRange, boolean detachUnconditional, double klReward,
            GroupRelativeAdvantage stepAdvantages) {
        this(clipRange, detachUnconditional, klReward, stepAdvantages, new Shaping(false, 1.0, 0));
    }

    private FlowGrpoObjective(double clipRange, boolean detachUnconditional, double klReward,
            GroupRelativeAdvantage stepAdvantages, Shaping shaping) {
        this.shaping = shaping;
        if (!(klReward >= 0) || Double.isInfinite(klReward)) {
            throw new IllegalArgumentException("klReward must be finite and >= 0, got " + klReward);
        }
        if (klReward > 0 && stepAdvantages == null) {
            throw new IllegalArgumentException("a KL-in-reward needs the advantage rule its per-step rewards are normalised by");
        }
        this.klReward = klReward;
        this.stepAdvantages = stepAdvantages;
        if (!(clipRange > 0) || Double.isInfinite(clipRange)) {
            throw new IllegalArgumentException("clipRange must be finite and > 0, got " + clipRange);
        }
        this.clipRange = clipRange;
        this.detachUnconditional = detachUnconditional;
    }

    /**
     * @param on normalise the importance ratio and reweight each step's loss by {@code 1 / |dt|}
     *     (GRPO-Guard's RatioNorm and gradient reweighting)
     * @return this objective with RatioNorm on or off, every other setting kept
     */
    public FlowGrpoObjective withRatioNorm(boolean on) {
        return new FlowGrpoObjective(clipRange, detachUnconditional, klReward, stepAdvantages,
                new Shaping(on, shaping.stepFraction(), shaping.noiseWeight()));
    }

    /**
     * @param fraction {@code f} in (0, 1]: each image trains on {@code floor(K f)} of the {@code K}
     *     recorded steps, its own random choice (DanceGRPO's {@code timestep_fraction}); 1 trains every
     *     recorded step of every image (Flow-GRPO)
     * @return this objective with that share, every other setting kept
     */
    public FlowGrpoObjective withStepFraction(double fraction) {
        return new FlowGrpoObjective(clipRange, detachUnconditional, klReward, stepAdvantages,
                new Shaping(shaping.ratioNorm(), fraction, shaping.noiseWeight()));
    }

    /** @return the share of an image's recorded steps it trains on (1: all) */
    public double stepFraction() {
        return shaping.stepFraction();
    }

    /**
     * @param scale {@code c >= 0}: each pass's loss is multiplied by {@code c s_t}, with {@code s_t =
     *     std_dev_t sqrt(|dt|)} the step's transition std (TempFlow-GRPO's noise-aware weighting,
     *     {@code c = 2.25}, which makes the mean weight about 1 on SD3.5's 10-step schedule); 0 turns it off
     * @return this objective with that weighting, every other setting kept
     */
    public FlowGrpoObjective withNoiseAwareWeight(double scale) {
        return new FlowGrpoObjective(clipRange, detachUnconditional, klReward, stepAdvantages,
                new Shaping(shaping.ratioNorm(), shaping.stepFraction(), scale));
    }

    /** @return the noise-aware weight's scale {@code c} (0: off) */
    public double noiseAwareWeight() {
        return shaping.noiseWeight();
    }

    /**
     * @param coefficient the KL-in-reward coefficient, finite and {@code >= 0} (0: off)
     * @param advantages how each step's rewards become advantages; needed when {@code coefficient > 0}
     * @return this objective with that KL-in-reward, every other setting kept
     */
    public FlowGrpoObjective withKlReward(double coefficient, GroupRelativeAdvantage advantages) {
        return new FlowGrpoObjective(clipRange, detachUnconditional, coefficient, advantages, shaping);
    }

    /** @return whether the ratio is normalised and the steps reweighted (GRPO-Guard) */
    public boolean ratioNorm() {
        return shaping.ratioNorm();
    }

    /** @return whether the unconditional half of the guided training velocity is detached */
    public boolean detachUnconditional() {
        return detachUnconditional;
    }

    /** @return {@code eps_clip} */
    public double clipRange() {
        return clipRange;
    }

    /** @return the KL-in-reward coefficient (0: off) */
    public double klReward() {
        return klReward;
    }

    /**
     * @return true without a KL-in-reward: the Flow-GRPO reference drops samples whose advantages
     *     are all zero before training (GARDO's {@code mask = advantages.abs().sum(dim=1) != 0});
     *     false with one, where the reference's mask is over the per-step advantages, which the KL
     *     term makes non-zero for a group whose rewards tie (only while the policy still equals the
     *     reference are they all zero; such rows then contribute no gradient, and the one difference
     *     left is that they count in the batch mean)
     */
    @Override
    public boolean skipsZeroAdvantageGroups() {
        return klReward == 0;
    }

    @Override
    public int passes(MicroBatch batch) {
        int n = batch.steps().size();
        if (n == 0) {
            throw new IllegalArgumentException("Flow-GRPO trains on recorded SDE steps but the micro-batch has none "
                    + "(were the rollouts drawn with an ODE sampler or an empty SDE window?)");
        }
        return n;
    }

    @Override
    public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
        List<RecordedStep> steps = batch.steps();
        if (pass < 0 || pass >= steps.size()) {
            throw new IndexOutOfBoundsException("pass " + pass + " of " + steps.size() + " recorded steps");
        }
        RecordedStep step = steps.get(pass);
        // The schedule is the drawing sampler's, not a copy taken when the method was built: any
        // sampler can replace a method's, and a batch whose steps do not fit its sampler is refused.
        InferenceSchedule schedule = batch.sampler().schedule();
        checkStep(step, schedule);
        // Work where the step's arrays live now: batch.manager(), or the per-pass scope a trainer
        // temporarily attached them to, so that this pass's graph and temporaries die with the pass.
        NDArray x = step.x();
        NDArray next = step.next();
        NDManager m = x.getManager();
        int b = batch.size();
        NDArray sigma = m.full(new Shape(b), (float) step.sigma());
        double w = batch.sampler().guidanceScale();
        SamplerStep rule = batch.sampler().stochasticStep();

        NDArray v = trainingVelocity(model, x, sigma, batch, w, detachUnconditional);
        StepResult result = rule.evaluate(x, v, schedule, step.index(), next);
        if (result.logProb() == null) {
            throw new IllegalStateException("the sampler's step rule " + rule.getClass().getSimpleName()
                    + " is deterministic at step " + step.index() + "; Flow-GRPO needs a stochastic step with a log-probability");
        }
        NDArray logRatio = result.logProb().sub(step.logProb());
        NDArray ratio = (shaping.ratioNorm() ? normalisedLogRatio(logRatio, result, step, rule) : logRatio).exp();
        NDArray negA = (klReward > 0 ? stepAdvantages(batch, pass, m) : batch.advantages()).neg();
        NDArray unclipped = negA.mul(ratio);
        NDArray clipped = negA.mul(ratio.clip(1 - clipRange, 1 + clipRange));
        // Pessimistic bound of PPO; at ratio == 1 both branches are equal and torch's maximum splits
        // the gradient evenly, so the gradient is exactly the plain policy gradient there.
        NDArray terms = NDArrays.maximum(unclipped, clipped);
        NDArray clippedRows = ratio.sub(1).abs().gt(clipRange).toType(DataType.FLOAT32, false);
        NDArray halfSquaredLogRatio = ScalarMath.mul(logRatio.square(), 0.5);
        NDArray loss;
        if (shaping.stepFraction() < 1) {
            float[] trained = trainedRows(batch, pass);
            int count = 0;
            for (float t : trained) {
                count += (int) t;
            }
            NDArray mask;
            // create(float[]) wraps a Java buffer that the graph may outlive: copy into libtorch memory.
            try (NDArray wrapped = m.create(trained)) {
                mask = wrapped.duplicate();
            }
            // Sum over the rows training this step, scaled so that the trainer's mean over the K passes
            // is the mean over every trained (image, step) pair: K / (b m).
            int k = steps.size();
            loss = ScalarMath.mul(terms.mul(mask).sum(), (double) k / ((double) b * trainedPerRow(k)));
            if (count > 0) {
                metrics.add("clip_fraction", ScalarMath.div(clippedRows.mul(mask).sum(), count));
                metrics.add("ratio_mean", ScalarMath.div(ratio.mul(mask).sum(), count));
                metrics.add("approx_kl", ScalarMath.div(halfSquaredLogRatio.mul(mask).sum(), count));
            }
        } else {
            loss = terms.mean();
            metrics.add("clip_fraction", clippedRows.mean());
            metrics.add("ratio_mean", ratio.mean());
            metrics.add("approx_kl", halfSquaredLogRatio.mean());
        }
        if (shaping.ratioNorm()) {
            loss = ScalarMath.div(loss, step.sigma() - step.sigmaNext());
        }
        if (shaping.noiseWeight() > 0) {
            // A positive per-pass weight on both PPO branches is a weight on their maximum.
            loss = ScalarMath.mul(loss, shaping.noiseWeight() * result.noiseStd());
        }
        metrics.add("policy_loss", loss);
        if (LOG.isTraceEnabled()) {
            LOG.trace("flow-grpo pass {} (step {}, sigma {}): b={}, w={}", pass, step.index(), step.sigma(), b, w);
        }
        return new Pass(loss, new MeanPrediction(batch, model, step, sigma, w, result));
    }

    /** @return {@code floor(K f)}, the steps each image trains on, at least 1 */
    private int trainedPerRow(int k) {
        int per = (int) Math.floor(k * shaping.stepFraction());
        if (per < 1) {
            throw new IllegalArgumentException("a step fraction of " + shaping.stepFraction() + " trains none of the " + k
                    + " recorded steps; record more steps or raise the fraction");
        }
        return per;
    }

    /**
     * @return per row of the micro-batch, 1 when it trains recorded step {@code pass}: the pass is
     *     among the first {@code floor(K f)} of the row's permutation of the K steps, drawn from
     *     {@code rowRng(row).fork(STEP_STREAM)} (DanceGRPO's per-sample {@code torch.randperm})
     */
    float[] trainedRows(MicroBatch batch, int pass) {
        int k = batch.steps().size();
        int per = trainedPerRow(k);
        float[] out = new float[batch.size()];
        for (int i = 0; i < out.length; i++) {
            int[] order = batch.rowRng(i).fork(STEP_STREAM).permutation(k);
            for (int t = 0; t < per; t++) {
                if (order[t] == pass) {
                    out[i] = 1;
                    break;
                }
            }
        }
        return out;
    }

    /**
     * GRPO-Guard's RatioNorm: {@code (logRatio + mean_d((mu_theta - mu_old)^2) / (2 s^2)) * s}, with
     * {@code s} the transition std of this step; the correction keeps its gradient.
     */
    private static NDArray normalisedLogRatio(NDArray logRatio, StepResult result, RecordedStep step, SamplerStep rule) {
        if (!(rule instanceof FlowGrpoSdeStep sde) || sde.reduction() != LogProbReduction.MEAN) {
            throw new IllegalStateException("RatioNorm corrects Flow-GRPO's SDE log-probabilities averaged per sample; "
                    + "the sampler's step rule is " + rule);
        }
        double s = result.noiseStd();
        NDArray delta = result.mean().sub(step.mean());
        NDArray bias = ScalarMath.div(FlowMatching.meanPerSample(delta.square()), 2 * s * s);
        return ScalarMath.mul(logRatio.add(bias), s);
    }

    /**
     * The advantages of this micro-batch's rows at recorded step {@code t} under the KL-in-reward,
     * normalised over the whole epoch's column (the reference's global std needs every image).
     */
    private NDArray stepAdvantages(MicroBatch batch, int t, NDManager m) {
        RewardBatch rewards = batch.rewards();
        double[][] kl = rewards.referenceKl();
        if (kl == null) {
            throw new IllegalStateException("Flow-GRPO's KL-in-reward (klReward " + klReward + ") needs rollouts that "
                    + "record the KL to the reference: sample with a ReferenceKlSampler (FlowGrpo.withKlReward wires one)");
        }
        double[] r = rewards.proxy();
        double[] column = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            if (t >= kl[i].length) {
                throw new IllegalStateException("pass " + t + " but the rollouts recorded the reference KL at "
                        + kl[i].length + " steps");
            }
            column[i] = r[i] - klReward * kl[i][t];
        }
        double[] a = stepAdvantages.normalise(column, rewards.groupSize());
        float[] out = new float[batch.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a[batch.rows()[i]];
        }
        // create(float[]) wraps a Java buffer that the graph may outlive: copy into libtorch memory.
        try (NDArray wrapped = m.create(out)) {
            return wrapped.duplicate();
        }
    }

    private static void checkStep(RecordedStep step, InferenceSchedule schedule) {
        int i = step.index();
        if (i < 0 || i >= schedule.steps()) {
            throw new IllegalArgumentException("recorded step index " + i + " is outside the micro-batch sampler's schedule of "
                    + schedule.steps() + " steps; build the micro-batch with the sampler that drew it");
        }
        if (Math.abs(schedule.sigma(i) - step.sigma()) > SIGMA_TOLERANCE
                || Math.abs(schedule.sigma(i + 1) - step.sigmaNext()) > SIGMA_TOLERANCE) {
            throw new IllegalArgumentException("recorded step " + i + " goes from sigma " + step.sigma() + " to "
                    + step.sigmaNext() + " but the micro-batch sampler's schedule has " + schedule.sigma(i) + " -> "
                    + schedule.sigma(i + 1) + "; build the micro-batch with the sampler that drew it");
        }
    }

    /**
     * The policy's guided velocity as the reference code trains it: gradients through both halves,
     * or, with {@code detach}, only through {@code w v_cond} (the unconditional half a constant).
     */
    static NDArray trainingVelocity(AdaptedFlowModel model, NDArray x, NDArray sigma, MicroBatch batch, double w,
            boolean detach) {
        Conditioning cond = batch.conditioning();
        Conditioning uncond = batch.unconditional();
        NDManager m = x.getManager();
        if (w == 1.0) {
            return model.velocity(x, sigma, cond);
        }
        if (uncond == null) {
            throw new IllegalArgumentException("guidance scale " + w + " needs the micro-batch's unconditional conditioning");
        }
        int b = Math.toIntExact(x.getShape().get(0));
        NDArray both = model.velocity(NDArrays.concat(new NDList(x, x), 0), NDArrays.concat(new NDList(sigma, sigma), 0),
                uncond.concat(cond, m));
        NDList halves = both.split(2, 0);
        if (halves.get(0).getShape().get(0) != b) {
            throw new IllegalStateException("model returned batch " + both.getShape() + " for 2 x " + b);
        }
        return Guidance.combine(detach ? halves.get(0).stopGradient() : halves.get(0), halves.get(1), w);
    }

    /** The pass's transition mean and its values under other adapter sets. */
    private final class MeanPrediction implements Prediction {
        private final MicroBatch batch;
        private final AdaptedFlowModel model;
        private final RecordedStep step;
        private final NDArray x;
        private final NDArray next;
        private final NDArray sigma;
        private final double guidance;
        private final StepResult result;
        private final String policySet;
        private final Map<Key, NDArray> cache = new HashMap<>();

        MeanPrediction(MicroBatch batch, AdaptedFlowModel model, RecordedStep step, NDArray sigma, double guidance,
                StepResult result) {
            this.batch = batch;
            this.model = model;
            this.step = step;
            this.x = step.x();
            this.next = step.next();
            this.sigma = sigma;
            this.guidance = guidance;
            this.result = result;
            this.policySet = model.adapters().active() == null ? null : model.adapters().active().name();
        }

        @Override
        public NDArray policy() {
            return result.mean();
        }

        @Override
        public NDArray under(String adapterSet, double w) {
            return cache.computeIfAbsent(new Key(adapterSet, w), k -> compute(adapterSet, w));
        }

        private NDArray compute(String adapterSet, double w) {
            if (w == guidance && java.util.Objects.equals(adapterSet, policySet)) {
                // The policy itself at its own guidance: no need for another forward.
                return result.mean().stopGradient();
            }
            return model.adapters().with(adapterSet, () -> {
                NDArray v = Guidance.velocity(model, x, sigma, batch.conditioning(), batch.unconditional(), w);
                return batch.sampler().stochasticStep().evaluate(x, v.stopGradient(), batch.sampler().schedule(),
                        step.index(), next)
                        .mean().stopGradient();
            });
        }

        @Override
        public double guidance() {
            return guidance;
        }

        @Override
        public NDArray klScale(KlForm form) {
            double std = result.stdDev();
            double variance = 2 * std * std;
            if (form == KlForm.PAPER) {
                variance *= Math.abs(step.sigmaNext() - step.sigma());
            }
            return x.getManager().create((float) (1.0 / variance));
        }
    }

    private record Key(String set, double guidance) {}
}
