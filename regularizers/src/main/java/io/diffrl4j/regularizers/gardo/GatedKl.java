package io.diffrl4j.regularizers.gardo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GARDO's gated KL (docs/ALGORITHMS.md 6.1): the base algorithm's KL term, applied only to the samples
 * whose reward is unreliable.
 *
 * <p>Once per epoch ({@link #onEpochScored}) the gate measures each image's uncertainty
 * {@link #uncertainty(RewardBatch)} from the disagreement between the proxy reward and the
 * auxiliary rewards the trainer scored ({@code Trainer.Builder.addAuxiliaryReward}), lets the
 * {@link GateController} move the gated fraction {@code k}, and gates the top {@code k} of the
 * non-negative uncertainties ({@link #gate(double[], double)}). In every pass the per-sample KL
 * {@code kl_i = klScale_i mean_dims((policy_i - ref_i)^2)} (Flow-GRPO: the Gaussian-mean KL of the
 * transition; DiffusionNFT: the velocity MSE) is reduced over the micro-batch's gated samples only:
 *
 * <pre>
 * loss = sum_i gate_i lambda_i kl_i / max(1, sum_i gate_i)
 * </pre>
 *
 * When nothing in the micro-batch is gated the loss is zero (GARDO's Flow-GRPO script), or, with
 * {@code klOnAllWhenNoneGated} (GARDO on DiffusionNFT, whose script falls back to
 * {@code kl_div_loss = ((v - v_ref)^2).mean()} over every sample), the plain mean over all samples.
 *
 * with {@code lambda} the {@link KlStrength} (GARDO: a constant beta). The gate is looked up by the
 * micro-batch's {@link MicroBatch#rows()}, so the normaliser counts the gated samples of this
 * micro-batch, as the official code does; ungated samples contribute exactly zero gradient.
 *
 * <p>Reported metrics, per pass: {@code kl} (the ungated mean KL, as {@link ReferenceKl} reports
 * it), {@code kl_gated} (the unweighted gated average, the quantity the official code compares
 * with the reference-renewal threshold), {@code gate_fraction} (the share of the epoch's images
 * gated) and {@code gate_k}. Each epoch's gate is also logged at INFO.
 *
 * <p>Extension points for users: override {@link #uncertainty(RewardBatch)} for another
 * uncertainty measure, {@link #gate(double[], double)} for another selection rule, or
 * {@link #updateK(double)} for another controller; {@link #GatedKl(GatedKl)} copies the settings of
 * an existing gate (see {@code io.diffrl4j.methods.gardo.Gardo.replaceGate}). Build one with {@link #builder()}, which gates a
 * given {@link ReferenceKl} ({@link Builder#gating}): the gate keeps that KL's reference, guidance,
 * form and strength.
 *
 * <p>Arrays created in a pass belong to the manager of the reduced KL (the pass's manager). Holds
 * the epoch's gate and the controller: not thread-safe, training thread only.
 */
public class GatedKl extends ReferenceKl {
    private static final Logger LOG = LoggerFactory.getLogger(GatedKl.class);

    private final RewardUncertainty measure;
    private final GateController controller;
    private final boolean inclusiveThreshold;
    private final boolean klOnAllWhenNoneGated;

    private boolean[] gate;
    private double[] uncertainty;
    private double threshold = Double.NaN;
    private double gatedFraction;
    private NDArray lastKl;

    /**
     * @param kl the KL to gate: its reference, guidance, form and strength
     * @param settings the gate's settings
     */
    protected GatedKl(ReferenceKl kl, Builder settings) {
        super(kl.reference(), kl.guidance(), kl.form(), kl.strength());
        this.measure = settings.uncertainty;
        this.controller = new GateController(settings.initialK, settings.minK, settings.maxK, settings.increase,
                settings.decrease, settings.window);
        this.inclusiveThreshold = settings.inclusiveThreshold;
        this.klOnAllWhenNoneGated = settings.klOnAllWhenNoneGated;
    }

    /**
     * A new gate with the settings of {@code template} and a fresh controller: the way to swap a
     * subclass into a method built by {@code Gardo}.
     *
     * @param template the gate whose settings to copy
     */
    protected GatedKl(GatedKl template) {
        this(template, template.toBuilder());
    }

    /** @return a builder holding the paper's gate: win-rate uncertainty over the batch, {@code k0 = 0.1} in [0.02, 0.2] */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding the official code's gate: the paper's with rank uncertainty ({@link RewardUncertainty#officialCode()}) */
    public static Builder officialCode() {
        return new Builder().optUncertainty(RewardUncertainty.officialCode());
    }

    /** @return a builder holding this gate's settings */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.uncertainty = measure;
        b.initialK = controller.initialK();
        b.minK = controller.minK();
        b.maxK = controller.maxK();
        b.increase = controller.increase();
        b.decrease = controller.decrease();
        b.window = controller.window();
        b.inclusiveThreshold = inclusiveThreshold;
        b.klOnAllWhenNoneGated = klOnAllWhenNoneGated;
        return b;
    }

    /**
     * @return a gate with this one's settings (a fresh controller) on the KL with another reference
     *     or strength
     * @throws UnsupportedOperationException for a subclass that does not override it
     */
    @Override
    public GatedKl with(String newReference, KlStrength newStrength) {
        if (getClass() != GatedKl.class) {
            throw new UnsupportedOperationException(getClass().getName() + " extends GatedKl without overriding "
                    + "with(reference, strength): it cannot be copied with another reference or beta");
        }
        return toBuilder().gating(new ReferenceKl(newReference, guidance(), form(), newStrength));
    }

    /** @return whether a micro-batch with nothing gated gets the KL on every sample (instead of none) */
    public boolean klOnAllWhenNoneGated() {
        return klOnAllWhenNoneGated;
    }

    /** @return whether images at the percentile threshold are gated too ({@code U >= t}) */
    public boolean inclusiveThreshold() {
        return inclusiveThreshold;
    }

    /** @return the uncertainty measure the gate ranks images by */
    public RewardUncertainty measure() {
        return measure;
    }

    @Override
    public String toString() {
        return "GatedKl{" + measure + ", " + controller + (inclusiveThreshold ? ", U >= t" : ", U > t")
                + (klOnAllWhenNoneGated ? ", KL on all when none gated" : "") + ", reference "
                + (reference() == null ? "pretrained" : reference()) + ", " + strength() + "}";
    }

    /** @return the controller of {@code k} */
    public GateController controller() {
        return controller;
    }

    /** @return the current gated fraction {@code k} */
    public double k() {
        return controller.k();
    }

    /** @return a copy of the current epoch's gate, one entry per image; null before the first epoch */
    public boolean[] currentGate() {
        return gate == null ? null : gate.clone();
    }

    /** @return a copy of the current epoch's uncertainties; null before the first epoch */
    public double[] currentUncertainty() {
        return uncertainty == null ? null : uncertainty.clone();
    }

    /** @return the current epoch's gate threshold (NaN when no uncertainty was non-negative) */
    public double currentThreshold() {
        return threshold;
    }

    @Override
    public void onEpochScored(RewardBatch rewards, TrainingProgress progress) {
        double[] u = uncertainty(rewards);
        if (u == null || u.length != rewards.size()) {
            throw new IllegalStateException("uncertainty() returned " + (u == null ? "null" : u.length + " values")
                    + " for " + rewards.size() + " images");
        }
        for (int i = 0; i < u.length; i++) {
            if (!Double.isFinite(u[i])) {
                throw new IllegalStateException("uncertainty() returned " + u[i] + " for image " + i);
            }
        }
        double[] nonNeg = RewardUncertainty.nonNegative(u);
        if (nonNeg.length > 0) {
            updateK(Arrays.stream(nonNeg).average().orElseThrow());
        } else {
            LOG.warn("GARDO gate, epoch {}: no image has a non-negative uncertainty; k stays {} and nothing is gated",
                    progress.epoch(), controller.k());
        }
        double k = controller.k();
        boolean[] g = gate(u, k);
        if (g == null || g.length != u.length) {
            throw new IllegalStateException("gate() returned " + (g == null ? "null" : g.length + " entries")
                    + " for " + u.length + " images");
        }
        int count = 0;
        for (boolean b : g) {
            count += b ? 1 : 0;
        }
        this.uncertainty = u;
        this.gate = g;
        this.threshold = RewardUncertainty.threshold(u, k);
        this.gatedFraction = (double) count / g.length;
        LOG.info("GARDO gate, epoch {}: k = {}, gated {} of {} images ({} with U >= 0, threshold {}, {} {} vs {})",
                progress.epoch(), String.format("%.4f", k), count, g.length, nonNeg.length,
                String.format("%.4g", threshold), measure.form(), rewards.proxyName(),
                measure.auxiliaryNames(rewards));
    }

    /**
     * The per-image uncertainty; samples with {@code U >= 0} are candidates for the gate. The
     * default is {@link #measure()} ({@link RewardUncertainty#uncertainty(RewardBatch)}).
     *
     * @param rewards the epoch's scores, proxy and auxiliaries
     * @return one finite value per image, in prompt order
     */
    protected double[] uncertainty(RewardBatch rewards) {
        return measure.uncertainty(rewards);
    }

    /**
     * Chooses the gated images. The default gates the top {@code k} of the non-negative
     * uncertainties ({@link RewardUncertainty#gate(double[], double, boolean)}, strictly above the
     * threshold unless {@link #inclusiveThreshold()}).
     *
     * @param uncertainty one value per image
     * @param k the current gated fraction
     * @return one entry per image, true where the KL applies
     */
    protected boolean[] gate(double[] uncertainty, double k) {
        return RewardUncertainty.gate(uncertainty, k, inclusiveThreshold);
    }

    /**
     * Moves {@code k} for the epoch; the default is the {@link GateController}.
     *
     * @param meanNonNegative the epoch's mean of the non-negative uncertainties
     */
    protected void updateK(double meanNonNegative) {
        controller.update(meanNonNegative);
    }

    @Override
    public NDArray perSample(MicroBatch batch, Prediction prediction) {
        NDArray kl = super.perSample(batch, prediction);
        // Kept for the unweighted "kl_gated" metric of the reduce() that follows in loss().
        lastKl = kl;
        return kl;
    }

    @Override
    protected NDArray reduce(MicroBatch batch, NDArray weighted, StepMetrics metrics) {
        int[] rows = batch.rows();
        if (gate == null) {
            throw new IllegalStateException("the gated KL has no gate yet: onEpochScored must run before the first pass");
        }
        if (weighted.getShape().size() != rows.length) {
            throw new IllegalStateException("the weighted KL has shape " + weighted.getShape() + " for a micro-batch of "
                    + rows.length + " images; the KL strength must be a scalar or one value per image");
        }
        float[] mask = new float[rows.length];
        int count = 0;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= gate.length) {
                throw new IllegalStateException("micro-batch row " + rows[i] + " is outside the epoch's " + gate.length
                        + " gated images");
            }
            if (gate[rows[i]]) {
                mask[i] = 1f;
                count++;
            }
        }
        if (count == 0 && klOnAllWhenNoneGated) {
            Arrays.fill(mask, 1f);
            count = rows.length;
        }
        NDArray gateArray = ownedMask(weighted.getManager(), mask, weighted.getDataType());
        NDArray flat = weighted.reshape(rows.length);
        NDArray loss = ScalarMath.div(flat.mul(gateArray).sum(), Math.max(1, count));

        if (lastKl != null) {
            NDArray kl = lastKl.stopGradient().reshape(rows.length);
            metrics.add("kl_gated", kl.mul(gateArray.toType(kl.getDataType(), false)).sum().div(Math.max(1, count)));
            lastKl = null;
        }
        metrics.add("gate_fraction", gatedFraction);
        metrics.add("gate_k", controller.k());
        return loss;
    }

    /**
     * The mask in libtorch-owned memory. Autograd keeps the mask for the backward pass of the
     * product; an array made by {@code create(float[])} wraps a Java buffer that the garbage
     * collector may free once the array is closed, and {@code toType} to the same type aliases it
     * instead of copying. Adding it into fresh zeros copies the values.
     */
    private static NDArray ownedMask(NDManager m, float[] mask, DataType type) {
        try (NDArray host = m.create(mask); NDArray typed = host.toType(type, false)) {
            return m.zeros(new Shape(mask.length), type).addi(typed);
        }
    }

    @Override
    public Map<String, Double> state() {
        return controller.state();
    }

    @Override
    public void restore(Map<String, Double> state) {
        controller.restore(state);
    }

    /** The gate's settings, holding the paper's defaults; {@link #gating} checks them. */
    public static final class Builder {
        private RewardUncertainty uncertainty = RewardUncertainty.paper();
        private double initialK = GateController.INITIAL_K;
        private double minK = 0.02;
        private double maxK = 0.2;
        private double increase = 1.1;
        private double decrease = 0.9;
        private int window = 20;
        private boolean inclusiveThreshold;
        private boolean klOnAllWhenNoneGated;

        private Builder() {}

        /** @param measure the uncertainty the gate ranks images by @return this */
        public Builder optUncertainty(RewardUncertainty measure) {
            if (measure == null) {
                throw new IllegalArgumentException("the gate's uncertainty measure must not be null");
            }
            this.uncertainty = measure;
            return this;
        }

        /** @param names the auxiliary rewards the uncertainty compares with (empty: all) @return this */
        public Builder optAuxiliaries(List<String> names) {
            this.uncertainty = uncertainty.withAuxiliaries(names);
            return this;
        }

        /** @param k the starting gated fraction {@code k0} (paper 0.1) @return this */
        public Builder optInitialK(double k) {
            this.initialK = k;
            return this;
        }

        /** @param min the lower bound of {@code k} (0.02) @param max its upper bound (0.2) @return this */
        public Builder optKRange(double min, double max) {
            this.minK = min;
            this.maxK = max;
            return this;
        }

        /**
         * @param up the factor on {@code k} when the uncertainty exceeds its recent maximum (1.1)
         * @param down the factor when it falls below its recent minimum (0.9)
         * @return this
         */
        public Builder optFactors(double up, double down) {
            this.increase = up;
            this.decrease = down;
            return this;
        }

        /** @param epochs how many past epoch means the controller remembers (20) @return this */
        public Builder optWindow(int epochs) {
            this.window = epochs;
            return this;
        }

        /**
         * @param inclusive gate images AT the percentile threshold too ({@code U >= t}); default
         *     false: strictly above it ({@code U > t}), as the official code, so that all-equal
         *     uncertainties (e.g. perfect agreement, all 0) gate nothing; the price is that with very
         *     few non-negative uncertainties (one, say) nothing may be gated
         * @return this
         */
        public Builder optInclusiveThreshold(boolean inclusive) {
            this.inclusiveThreshold = inclusive;
            return this;
        }

        /**
         * @param on apply the KL to every sample of a micro-batch in which nothing is gated (GARDO's
         *     DiffusionNFT script) instead of none (its Flow-GRPO script, the default)
         * @return this
         */
        public Builder optKlOnAllWhenNoneGated(boolean on) {
            this.klOnAllWhenNoneGated = on;
            return this;
        }

        /**
         * @param kl the KL to gate (its reference, guidance, form and strength are kept)
         * @return the gated KL
         * @throws IllegalArgumentException naming the first bad setting
         */
        public GatedKl gating(ReferenceKl kl) {
            if (kl == null) {
                throw new IllegalArgumentException("the gate needs the KL it gates");
            }
            return new GatedKl(kl, this);
        }
    }
}
