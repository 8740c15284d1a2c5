package io.diffrl4j.methods.crd;

import io.diffrl4j.core.advantage.NormalisedReward;
import io.diffrl4j.core.objective.VelocityPrediction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.objective.ForwardNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.nn.kernel.TorchKernels;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.StepMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRD's centred reward-matching policy loss (docs/ALGORITHMS.md 7.2, 7.3). Only the clean samples
 * {@code x0} (b, ...) and the advantages (b) are used, so any sampler will do.
 *
 * <p>Each sample gets a row of {@link TrainingNoiseLevels#levelsPerSample()} noise levels (by
 * default {@link StratifiedRolloutNoiseLevels}: the Flow-Factory port's 20 passes stratified over
 * the rollout's own 10 levels, the same for every image of a group; {@link DiscreteNoiseLevels}, 19
 * of 20 shift-3 levels in a fresh random order per sample, is the option);
 * pass {@code j} uses column {@code j}. In pass {@code j}, with {@code s} the sample's level and
 * noise {@code eps}:
 *
 * <pre>
 * x_t = (1 - s) x0 + s eps ;  u = eps - x0
 * rho = implicit reward of v_theta(x_t) (policy, guidance 1) against sg(v_old(x_t)) (the moving
 *       reference, guidance 1), adaptive or plain        (see {@link CenteredRewardMatching#implicitReward})
 * L   = reward matching of beta rho against r~ = clip(A / 10 + 0.5, 0, 1), both centred within each
 *       prompt's group (or over the micro-batch), MSE or BCE  (see {@link CenteredRewardMatching#loss})
 * </pre>
 *
 * <p><b>Whole groups.</b> When the micro-batch holds whole groups (rows {@code i*G..i*G+G-1} one
 * prompt, {@link MicroBatch#groups()} the batch itself), the group means {@code sg(mean_group rho)}
 * and {@code mean_group r~} are taken over its own rows.
 *
 * <p><b>Parts of a group.</b> When a group does not fit in one backward pass, the trainer cuts it
 * into parts ({@code TrainerConfig.imagesPerMicroBatch}) and each part carries its whole group in
 * {@link MicroBatch#groups()}. With per-prompt centring the objective then computes {@code rho} of
 * the part's rows with gradient, and the group means from a no-grad pass (autograd recording off,
 * its temporaries freed at once) of the policy and the moving reference over the whole group at the
 * same noise levels and noise; the part is centred with those stop-gradient means
 * ({@link CenteredRewardMatching#loss(NDArray, NDArray, NDArray, NDArray, double, MatchingLoss)}).
 * Because the loss is a mean of per-sample terms, the gradient accumulated over a group's parts
 * equals the gradient of the whole group. Cost: per pass, one extra no-grad forward of the policy
 * and one of the moving reference over the G images of the group, run before the part's own forward
 * and freed before it, so peak memory is the larger of a no-grad forward of G and the part's graph
 * (a no-grad forward keeps no activations for backward). The means of a pass are computed once per group batch (by identity) and
 * reused by the group's other parts: parameters do not change while a step's micro-batches
 * accumulate, and the trainer builds a new group batch for every optimizer step (a hand-written loop
 * that updates the parameters must do the same). Micro-batch centring needs no group pass: it
 * centres over the rows of the micro-batch, whatever they are. A part without a group batch is
 * rejected with an {@link IllegalArgumentException}.
 *
 * <p>The pass's {@link Prediction} is {@code v_theta} (b, ...): {@link Prediction#under} evaluates the
 * velocity at the same {@code x_t} under another set and guidance scale (CFG with the batch's
 * unconditional conditioning, both halves in one forward pass), without gradient and cached per
 * pass; {@code guidance()} is 1 and {@code klScale} is 1, so {@link CfgAnchoredKl} is the velocity
 * MSE to the CFG anchor.
 *
 * <p>Randomness is deterministic and per row, so that it does not depend on how groups are cut:
 * row {@code i}'s levels come from {@code batch.rowRng(i).fork(LEVELS_STREAM)} and its noise in pass
 * {@code j} from {@code batch.rowRng(i).fork(NOISE_STREAM + j)} (see {@link MicroBatch#rowLevels},
 * {@link MicroBatch#rowNormal}). Ownership: every array created here belongs to the manager that
 * owns {@code batch.samples()} when {@link #evaluate} is called (the trainer's per-pass scope).
 * Reported metrics: {@code policy_loss}, {@code implicit_reward} (batch mean of {@code rho}), {@code
 * implicit_reward_std} (std of the centred implicit reward {@code Pc}), {@code reward_centred_std}
 * (std of {@code Rc}).
 *
 * <p>Caches the noise levels of the most recent micro-batch and the group means of the most recent
 * group batch, so it is not thread-safe; it runs on the training thread.
 */
public final class CrdObjective implements PolicyObjective {
    private static final Logger LOG = LoggerFactory.getLogger(CrdObjective.class);

    /** The paper's {@code beta_crd}. */
    public static final double DEFAULT_BETA = 1.0;
    /** The fork label of the noise-level draw. */
    public static final long LEVELS_STREAM = 0x4352_444C_0000_0000L;
    /** The fork label of pass 0's forward-process noise; pass j uses {@code NOISE_STREAM + j}. */
    public static final long NOISE_STREAM = 0x4352_4445_0000_0000L;

    private final double beta;
    private final ImplicitRewardForm form;
    private final CenteringScope scope;
    private final MatchingLoss loss;
    private final ForwardNoise noise;
    private final String oldSet;
    private double weightTemp = -1;

    private MicroBatch cachedGroups;
    private final Map<Integer, GroupMeans> cachedMeans = new HashMap<>();
    private boolean warnedSingleton;

    /**
     * The port's defaults: beta 1, adaptive, per-prompt centring, MSE, {@link StratifiedRolloutNoiseLevels}
     * (20 passes over the 10-step rollout), the "old" set.
     */
    public CrdObjective() {
        this(DEFAULT_BETA, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                new StratifiedRolloutNoiseLevels(),
                AdapterRoles.OLD);
    }

    /**
     * @param beta {@code beta_crd}, finite and {@code > 0}
     * @param form adaptive (paper) or plain implicit reward
     * @param scope per-prompt (paper) or per-micro-batch centring
     * @param loss MSE (paper) or BCE
     * @param noiseLevels the training noise levels, at least one per sample
     * @param oldSet the moving reference's adapter set, or null for the pretrained model (the port's
     *     {@code use_old_for_loss: false})
     */
    public CrdObjective(double beta, ImplicitRewardForm form, CenteringScope scope, MatchingLoss loss,
            TrainingNoiseLevels noiseLevels, String oldSet) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("betaCrd must be finite and > 0, got " + beta);
        }
        if (form == null) {
            throw new IllegalArgumentException("implicitReward must not be null");
        }
        if (scope == null) {
            throw new IllegalArgumentException("centering must not be null");
        }
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        if (noiseLevels == null || noiseLevels.levelsPerSample() < 1) {
            throw new IllegalArgumentException("noiseLevels must be non-null with at least one level per sample");
        }
        if (oldSet != null && oldSet.isBlank()) {
            throw new IllegalArgumentException("oldSet must name an adapter set, or be null for the pretrained model");
        }
        this.beta = beta;
        this.form = form;
        this.scope = scope;
        this.loss = loss;
        this.noise = new ForwardNoise(noiseLevels, LEVELS_STREAM, NOISE_STREAM, false);
        this.oldSet = oldSet;
    }

    /**
     * @param temp the port's {@code weight_temp}: negative (default -1) for plain-mean centring, 0 for
     *     hard selection, {@code > 0} for softmax two-direction centring (whole-group micro-batches only)
     * @return this objective with that centring
     */
    public CrdObjective withWeightTemp(double temp) {
        if (Double.isNaN(temp) || Double.isInfinite(temp)) {
            throw new IllegalArgumentException("weightTemp must be finite, got " + temp);
        }
        CrdObjective copy = new CrdObjective(beta, form, scope, loss, noise.levels(), oldSet);
        copy.weightTemp = temp;
        return copy;
    }

    /** @return the port's {@code weight_temp} (negative: plain means) */
    public double weightTemp() {
        return weightTemp;
    }

    /** @return {@code beta_crd} */
    public double beta() {
        return beta;
    }

    /** @return the implicit-reward form */
    public ImplicitRewardForm form() {
        return form;
    }

    /** @return the centring scope */
    public CenteringScope scope() {
        return scope;
    }

    /** @return the matching loss */
    public MatchingLoss loss() {
        return loss;
    }

    /** @return the noise-level strategy */
    public TrainingNoiseLevels noiseLevels() {
        return noise.levels();
    }

    /** @return the name of the moving reference's adapter set, or null when the pretrained model is the reference */
    public String oldSet() {
        return oldSet;
    }

    @Override
    public int passes(MicroBatch batch) {
        return noise.passes();
    }

    @Override
    public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
        boolean fromGroups = scope == CenteringScope.PROMPT && batch.isPartOfGroups();
        if (fromGroups && weightTemp >= 0) {
            throw new IllegalStateException("weight_temp centring needs whole-group micro-batches, got part of a group");
        }
        checkBatch(batch);
        // The no-grad group pass runs first and frees its temporaries before the part's graph is
        // built, so peak memory is the larger of the two, not their sum.
        GroupMeans means = fromGroups ? groupMeans(batch, pass, model) : null;
        Forward f = forward(batch, pass, model);
        NDArray rTilde = NormalisedReward.of(batch.advantages());
        NDArray rho = f.rho().stopGradient();
        NDArray value;
        NDArray pc;
        NDArray rc;
        if (fromGroups) {
            int[] positions = batch.positionsInGroups();
            float[] rhoMean = new float[positions.length];
            float[] rewardMean = new float[positions.length];
            for (int i = 0; i < positions.length; i++) {
                rhoMean[i] = means.rho()[positions[i] / batch.groupSize()];
                rewardMean[i] = means.reward()[positions[i] / batch.groupSize()];
            }
            NDManager owner = batch.samples().getManager();
            NDArray rhoMeans = owned(owner, rhoMean);
            NDArray rewardMeans = owned(owner, rewardMean);
            value = CenteredRewardMatching.loss(f.rho(), rTilde, rhoMeans, rewardMeans, beta, loss);
            pc = rho.sub(rhoMeans);
            rc = rTilde.sub(rewardMeans);
        } else {
            value = CenteredRewardMatching.loss(f.rho(), rTilde, batch.groupSize(), beta, scope, loss, weightTemp);
            pc = CenteredRewardMatching.centre(rho, batch.groupSize(), scope);
            rc = CenteredRewardMatching.centre(rTilde, batch.groupSize(), scope);
        }
        metrics.add("policy_loss", value);
        metrics.add("implicit_reward", rho.mean());
        metrics.add("implicit_reward_std", std(pc));
        metrics.add("reward_centred_std", std(rc));
        return new Pass(value, f.prediction());
    }

    /**
     * Per group of a part's group batch, in its order: the mean implicit reward at pass {@code j}
     * (no gradient) and the mean normalised reward.
     */
    record GroupMeans(float[] rho, float[] reward) {}

    /**
     * The group means of {@code batch.groups()} at pass {@code pass}: computed without gradient in a
     * scratch scope that is closed at once, and cached for the group batch (see the class comment).
     */
    GroupMeans groupMeans(MicroBatch batch, int pass, AdaptedFlowModel model) {
        MicroBatch groups = batch.groups();
        if (cachedGroups != groups) {
            cachedGroups = groups;
            cachedMeans.clear();
        }
        GroupMeans cached = cachedMeans.get(pass);
        if (cached != null) {
            return cached;
        }
        int g = groups.groupSize();
        int k = groups.size() / g;
        GroupMeans means;
        try (NDManager scratch = groups.samples().getManager().newSubManager()) {
            // The group's arrays move into the scratch scope so that every temporary of the forward
            // (which DJL puts in the manager of the first input) is freed when it closes.
            scratch.tempAttachAll(arraysOf(groups));
            means = NoGrad.run(() -> {
                double[][] levels = groups.rowLevels(noise.levels(), LEVELS_STREAM);
                NDArray rho = forward(groups, pass, model, levels).rho();
                NDArray rTilde = NormalisedReward.of(groups.advantages());
                float[] rhoMean = rho.reshape(k, g).mean(new int[] {1}).toFloatArray();
                float[] rewardMean = rTilde.reshape(k, g).mean(new int[] {1}).toFloatArray();
                return new GroupMeans(rhoMean, rewardMean);
            });
        }
        cachedMeans.put(pass, means);
        return means;
    }

    private static NDArray[] arraysOf(MicroBatch b) {
        List<NDArray> arrays = new ArrayList<>();
        arrays.add(b.samples());
        arrays.add(b.advantages());
        for (Conditioning c : new Conditioning[] {b.conditioning(), b.unconditional()}) {
            if (c != null && c.sequence() != null) {
                arrays.add(c.sequence());
            }
            if (c != null && c.pooled() != null) {
                arrays.add(c.pooled());
            }
        }
        return arrays.toArray(new NDArray[0]);
    }

    /** Host values copied into libtorch memory (a wrapped Java buffer could be freed under autograd). */
    private static NDArray owned(NDManager manager, float[] values) {
        try (NDArray wrapped = manager.create(values)) {
            return wrapped.duplicate();
        }
    }

    /**
     * One pass's forward process, shared by {@link #evaluate} and tests.
     *
     * @param rho the implicit reward (b), float32, differentiable through the policy
     * @param target the velocity target {@code u} (b, ...)
     * @param prediction the pass's velocity prediction
     */
    record Forward(NDArray rho, NDArray target, VelocityPrediction prediction) {}

    /** Runs the policy and the moving reference at pass {@code pass}'s {@code x_t}. */
    Forward forward(MicroBatch batch, int pass, AdaptedFlowModel model) {
        return forward(batch, pass, model, levels(batch));
    }

    private Forward forward(MicroBatch batch, int pass, AdaptedFlowModel model, double[][] levels) {
        int passes = passes(batch);
        if (pass < 0 || pass >= passes) {
            throw new IndexOutOfBoundsException("pass " + pass + " of " + passes + " noise levels");
        }
        NDArray x0 = batch.samples();
        NDArray sigma = batch.levelColumn(levels, pass);
        NDArray eps = noise(batch, pass);
        NDArray xt = FlowMatching.interpolate(x0, eps, sigma);
        NDArray u = FlowMatching.velocityTarget(x0, eps);

        NDArray vTheta = model.velocity(xt, sigma, batch.conditioning());
        NDArray vOld = model.adapters().with(oldSet, () -> model.velocity(xt, sigma, batch.conditioning())).stopGradient();
        // A half-precision model still matches rewards in float32; the cast keeps the graph (toType would not).
        NDArray rho = TorchKernels.cast(CenteredRewardMatching.implicitReward(vTheta, vOld, u, form), DataType.FLOAT32);
        return new Forward(rho, u, new VelocityPrediction(batch, model, xt, sigma, vTheta).withKnown(oldSet, vOld));
    }

    private void checkBatch(MicroBatch batch) {
        int g = batch.groupSize();
        if (scope == CenteringScope.PROMPT) {
            // A part is centred with its group batch's means, so the group batch must be whole groups.
            checkWholeGroups(batch.groups());
        }
        if (g == 1 && scope == CenteringScope.PROMPT && !warnedSingleton) {
            warnedSingleton = true;
            LOG.warn("CRD with groups of one image: per-prompt centring makes every reward 0 and the policy loss vanishes");
        }
    }

    private static void checkWholeGroups(MicroBatch batch) {
        int g = batch.groupSize();
        CenteredRewardMatching.checkWholeGroups(batch.size(), g);
        int[] rows = batch.rows();
        for (int start = 0; start < rows.length; start += g) {
            for (int j = start + 1; j < start + g; j++) {
                if (rows[j] / g != rows[start] / g) {
                    throw new IllegalArgumentException("micro-batch rows " + rows[start] + " and " + rows[j]
                            + " sit in one block of " + g + " but belong to different prompts: CRD needs whole groups in "
                            + "prompt order");
                }
            }
        }
    }

    /** Population std of a (b) array, as a 0-d array. */
    private static NDArray std(NDArray x) {
        return x.sub(x.mean()).square().mean().sqrt();
    }

    /**
     * @param batch a micro-batch
     * @return its {@code b x levelsPerSample()} noise levels, row {@code i} from {@code
     *     batch.rowRng(i).fork(LEVELS_STREAM)}; drawn once and cached for the most recent micro-batch
     */
    double[][] levels(MicroBatch batch) {
        return noise.levels(batch);
    }

    /** @return pass {@code pass}'s per-sample noise levels (b), float32, in the samples' current manager */
    NDArray sigmas(MicroBatch batch, int pass) {
        return batch.levelColumn(levels(batch), pass);
    }

    /**
     * @return pass {@code pass}'s standard normal noise of the samples' shape, row {@code i} from
     *     {@code batch.rowRng(i).fork(NOISE_STREAM + pass)}, in the samples' current manager
     */
    NDArray noise(MicroBatch batch, int pass) {
        return noise.noise(batch, pass);
    }

    @Override
    public String toString() {
        return "CrdObjective{beta=" + beta + ", " + form + ", " + scope + ", " + loss + ", old=" + oldSet + "}";
    }

    @Override
    public java.util.List<String> adapterSets() {
        return oldSet == null ? java.util.List.of() : java.util.List.of(oldSet);
    }
}
