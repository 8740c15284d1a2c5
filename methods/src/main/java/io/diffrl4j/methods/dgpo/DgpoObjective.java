package io.diffrl4j.methods.dgpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.objective.ForwardNoise;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.VelocityPrediction;
import io.diffrl4j.core.train.GradMode;

/**
 * DGPO's group preference loss (arXiv 2510.08425; Luo-Yihong/DGPO, {@code scripts/train_sd3_dgpo.py},
 * {@code compute_group_dgpo_loss_allreduce}). On the clean samples {@code x0} of deterministic
 * rollouts, at a level {@code t} per pass (the same for a group) with noise {@code eps} shared by the
 * images of a group:
 *
 * <pre>
 * l_i     = mean_dims((eps - x0 - v_theta(x_t))^2)            (policy, conditional, with gradient)
 * l_ref,i = the same for the pretrained model, l_old,i for the "old" model (an EMA of the policy), no gradient
 * S_g     = beta_dpo / G * sum_{i in g} A_i (sg(l_i) - l_ref,i)
 * clip_i  = A_i > 0 ? exp(l_old,i - l_i) > 1 + c : exp(l_old,i - l_i) < 1 - c
 * policy  = mean_i sigmoid(S_g) A_i (clip_i ? sg(l_i) : l_i)
 * </pre>
 *
 * Its gradient is, up to the constant {@code beta_dpo / G}, that of the group's preference loss
 * {@code -log sigmoid(-beta_dpo / G sum_i A_i (l_i - l_ref,i))}: the images with positive advantages
 * are pulled towards lower error than the pretrained model's, the others away, and a group already
 * ordered that way weighs less. Samples whose error ratio to the old model left the clip range in
 * their advantage's direction still count in {@code S_g} but give no gradient.
 *
 * <p>The group weight needs every image of a group: a micro-batch that holds part of its groups
 * computes the errors of the whole groups at the same pass without gradient (two forwards per
 * image of the group), as the reference sums {@code S_g} over devices. Randomness does not depend on the cut: levels from the group's epoch stream
 * ({@link TrainingNoiseLevels#sharedWithinGroup()}), noise from {@link MicroBatch#groupNormal}. The
 * pass's prediction is {@code v_theta} with the pretrained model's velocity handed over, so a velocity
 * KL to the pretrained model costs no further forward. Metrics: {@code policy_loss},
 * {@code matching_mse}, {@code clip_fraction}, {@code group_weight} (mean {@code sigmoid(S_g)}).
 *
 * <p>Holds the per-micro-batch level cache, so it is not thread-safe; it runs on the training thread.
 */
public final class DgpoObjective implements PolicyObjective {
    /** The fork label of the noise-level draw. */
    public static final long LEVELS_STREAM = 0x4447_504C_0000_0000L;
    /** The fork label of pass 0's shared noise; pass j uses {@code NOISE_STREAM + j}. */
    public static final long NOISE_STREAM = 0x4447_504E_0000_0000L;

    private final double betaDpo;
    private final double clipRange;
    private final ForwardNoise noise;
    private final String oldSet;

    /**
     * @param betaDpo {@code beta_dpo}, the preference temperature, finite and {@code > 0}
     * @param clipRange {@code c}, finite and {@code > 0}
     * @param noiseLevels the training levels, shared within a group
     * @param oldSet the adapter set of the old model the clip compares with
     */
    public DgpoObjective(double betaDpo, double clipRange, TrainingNoiseLevels noiseLevels, String oldSet) {
        if (!(betaDpo > 0) || Double.isInfinite(betaDpo) || !(clipRange > 0) || Double.isInfinite(clipRange)) {
            throw new IllegalArgumentException("DGPO needs a finite beta_dpo > 0 and clip range > 0, got " + betaDpo + ", "
                    + clipRange);
        }
        if (noiseLevels == null || !noiseLevels.sharedWithinGroup()) {
            throw new IllegalArgumentException("DGPO's levels must be shared by the images of a group, got " + noiseLevels);
        }
        if (oldSet == null || oldSet.isBlank()) {
            throw new IllegalArgumentException("oldSet must name an adapter set");
        }
        this.betaDpo = betaDpo;
        this.clipRange = clipRange;
        this.noise = new ForwardNoise(noiseLevels, LEVELS_STREAM, NOISE_STREAM, true);
        this.oldSet = oldSet;
    }

    /** @return {@code beta_dpo} */
    public double betaDpo() {
        return betaDpo;
    }

    /** @return the clip range */
    public double clipRange() {
        return clipRange;
    }

    /** @return the training levels */
    public TrainingNoiseLevels noiseLevels() {
        return noise.levels();
    }

    /** @return the old model's adapter set */
    public String oldSet() {
        return oldSet;
    }

    @Override
    public int passes(MicroBatch batch) {
        return noise.passes();
    }

    @Override
    public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
        if (!batch.isPartOfGroups() && batch.size() % batch.groupSize() != 0) {
            throw new IllegalStateException("DGPO weighs each group by all of its images: a micro-batch of " + batch.size()
                    + " rows of groups of " + batch.groupSize() + " must hold whole groups or carry its groups' batch");
        }
        ForwardNoise.Draw d = noise.draw(batch, pass);
        NDArray x0 = batch.samples();
        NDManager m = x0.getManager();
        NDArray t = d.t();
        NDArray xt = d.xt();
        NDArray target = FlowMatching.velocityTarget(x0, d.eps());
        NDArray v = model.velocity(xt, t, batch.conditioning());
        NDArray vRef = model.adapters().with(null, () -> model.velocity(xt, t, batch.conditioning())).stopGradient();
        NDArray vOld = model.adapters().with(oldSet, () -> model.velocity(xt, t, batch.conditioning())).stopGradient();
        NDArray error = FlowMatching.meanPerSample(target.sub(v).square());
        float[] l = error.stopGradient().toFloatArray();
        float[] lRef = FlowMatching.meanPerSample(target.sub(vRef).square()).toFloatArray();
        float[] lOld = FlowMatching.meanPerSample(target.sub(vOld).square()).toFloatArray();
        float[] a = batch.advantages().toFloatArray();
        double[] margin = groupMargins(batch, pass, model, l, lRef, a);

        int b = batch.size();
        int g = batch.groupSize();
        int[] position = batch.positionsInGroups();
        float[] weight = new float[b];
        float[] clipped = new float[b];
        double weightSum = 0;
        int clips = 0;
        for (int i = 0; i < b; i++) {
            weight[i] = (float) (1 / (1 + Math.exp(-margin[position[i] / g])));
            double ratio = Math.exp((double) lOld[i] - l[i]);
            boolean clip = a[i] > 0 ? ratio > 1 + clipRange : ratio < 1 - clipRange;
            clipped[i] = clip ? 1f : 0f;
            clips += clip ? 1 : 0;
            weightSum += weight[i];
        }
        NDArray clipMask = owned(m, clipped);
        // A clipped sample keeps its value (it counts in the mean) and loses its gradient.
        NDArray used = error.mul(clipMask.neg().add(1f)).add(error.stopGradient().mul(clipMask));
        NDArray loss = owned(m, weight).mul(batch.advantages()).mul(used).mean();
        metrics.add("policy_loss", loss);
        metrics.add("matching_mse", error.stopGradient().mean());
        metrics.add("clip_fraction", (double) clips / b);
        metrics.add("group_weight", weightSum / b);
        return new Pass(loss, new VelocityPrediction(batch, model, xt, t, v).withKnown(null, vRef).withKnown(oldSet, vOld));
    }

    /**
     * @return {@code S_g} of every group of {@link MicroBatch#groups()}: from the rows' own errors when
     *     the micro-batch holds whole groups, else from the errors of every row of its groups at this
     *     pass, computed without gradient (the policy's and the pretrained model's, at the same
     *     {@code x_t}: the draws do not depend on the cut), as the reference sums {@code S_g} over devices
     */
    private double[] groupMargins(MicroBatch batch, int pass, AdaptedFlowModel model, float[] l, float[] lRef, float[] a) {
        MicroBatch groups = batch.groups();
        float[][] whole = batch.isPartOfGroups() ? GradMode.<float[][], RuntimeException>off(() -> {
            ForwardNoise.Draw d = noise.draw(groups, pass);
            NDArray target = FlowMatching.velocityTarget(groups.samples(), d.eps());
            NDArray v = model.velocity(d.xt(), d.t(), groups.conditioning());
            NDArray vRef = model.adapters().with(null, () -> model.velocity(d.xt(), d.t(), groups.conditioning()));
            return new float[][] {FlowMatching.meanPerSample(target.sub(v).square()).toFloatArray(),
                FlowMatching.meanPerSample(target.sub(vRef).square()).toFloatArray(), groups.advantages().toFloatArray()};
        }) : new float[][] {l, lRef, a};
        int g = batch.groupSize();
        double[] margin = new double[groups.size() / g];
        for (int i = 0; i < groups.size(); i++) {
            margin[i / g] += whole[2][i] * betaDpo * ((double) whole[0][i] - whole[1][i]) / g;
        }
        return margin;
    }

    /** Copies host values into libtorch memory owned by {@code m} (the graph may outlive a Java buffer). */
    private static NDArray owned(NDManager m, float[] values) {
        try (NDArray wrapped = m.create(values)) {
            return wrapped.duplicate().toType(DataType.FLOAT32, false);
        }
    }

    @Override
    public java.util.List<String> adapterSets() {
        return java.util.List.of(oldSet);
    }

    @Override
    public String toString() {
        return "DgpoObjective{beta_dpo=" + betaDpo + ", clip=" + clipRange + ", " + noise.levels() + ", old=" + oldSet + "}";
    }
}
