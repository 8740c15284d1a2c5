package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Sampler;
import java.util.Arrays;
import java.util.List;

/**
 * The slice of an epoch that one gradient-accumulation step trains on, with everything the
 * objective and regularizers need. Built by the trainer; arrays belong to {@link #manager()}, a
 * per-step manager closed after the step (anything the objective creates from these arrays goes
 * there too).
 *
 * <p><b>Whole groups or parts of one.</b> By default a micro-batch holds whole groups: rows
 * {@code i*G..i*G+G-1} are the G images of one prompt, in prompt order. When a group does not fit
 * in one backward pass the trainer cuts it into equal parts of consecutive rows
 * ({@code TrainerConfig.imagesPerMicroBatch}); such a part carries in {@link #groups()} a
 * micro-batch over all rows of its group (whole groups, same step manager, same epoch stream), so
 * that an objective needing a group statistic (CRD's stop-gradient group mean) can evaluate it
 * without gradient. For a micro-batch of whole groups {@link #groups()} is the batch itself.
 *
 * <p><b>Randomness that does not depend on the cut.</b> {@link #rng()} is the micro-batch's own
 * stream: what it draws depends on which rows were packed together. Forward-process objectives
 * draw per row from {@link #rowRng(int)} instead ({@code epochRng().fork(rows()[i])}), so an image
 * sees the same noise levels and noise whether it trains in a whole group, in a part of it, or in
 * the no-grad pass over {@link #groups()}; see {@link #rowNormal} and {@link #rowLevels}.
 *
 * @param manager the step's manager
 * @param place which rows of the epoch these are
 * @param drawn what was sampled for them
 * @param scored what they scored
 * @param update the update's counters and random streams
 * @param groups null when this micro-batch holds whole groups; otherwise a micro-batch of whole
 *     groups containing every row of this one (its own {@code groups} null), read through
 *     {@link #groups()}
 */
public record MicroBatch(NDManager manager, Place place, Drawn drawn, Scored scored, Update update, MicroBatch groups) {

    /**
     * Which rows of the epoch a micro-batch holds.
     *
     * @param rows the epoch indices of these images (prompt order)
     * @param groupSize G
     */
    public record Place(int[] rows, int groupSize) {}

    /**
     * What was sampled for the rows.
     *
     * @param samples the clean samples x0 (b, ...)
     * @param steps the recorded sampler steps restricted to these rows (empty for ODE rollouts)
     * @param conditioning per-image text conditioning, batch b
     * @param unconditional per-image unconditional conditioning, batch b (null when unused)
     * @param sampler the sampler that drew the rollouts (its schedule, step rule and guidance scale)
     */
    public record Drawn(NDArray samples, List<RecordedStep> steps, Conditioning conditioning, Conditioning unconditional,
            Sampler sampler) {}

    /**
     * What the rows scored.
     *
     * @param advantages per-image advantages (b), float32
     * @param rewards the whole epoch's scores (for strategies that index them with {@link #rows()})
     */
    public record Scored(NDArray advantages, RewardBatch rewards) {}

    /**
     * The update the micro-batch is part of.
     *
     * @param progress epoch and step counters
     * @param rng the micro-batch's own random stream (depends on the rows packed together)
     * @param epochRng the epoch's per-row stream: row {@code r} draws from {@code epochRng.fork(r)}
     */
    public record Update(TrainingProgress progress, SeededNoise rng, SeededNoise epochRng) {
        /**
         * @param progress epoch and step counters
         * @param rng one stream as both the micro-batch's and the epoch's (a micro-batch that is its epoch)
         */
        public Update(TrainingProgress progress, SeededNoise rng) {
            this(progress, rng, rng);
        }
    }

    /** Checks that a part of groups lies inside its group batch. */
    public MicroBatch {
        if (place == null || drawn == null || scored == null || update == null) {
            throw new IllegalArgumentException("a micro-batch needs its place, what was drawn, what it scored and its update");
        }
        if (groups != null) {
            if (groups.groups != null) {
                throw new IllegalArgumentException("the group batch of a micro-batch must hold whole groups itself");
            }
            if (groups.groupSize() != place.groupSize()) {
                throw new IllegalArgumentException("group size " + place.groupSize() + " but the group batch has "
                        + groups.groupSize());
            }
            positionsIn(place.rows(), groups.rows());
        }
    }

    /**
     * A micro-batch of whole groups.
     *
     * @param manager the step's manager
     * @param place which rows
     * @param drawn what was sampled
     * @param scored what they scored
     * @param update counters and random streams
     */
    public MicroBatch(NDManager manager, Place place, Drawn drawn, Scored scored, Update update) {
        this(manager, place, drawn, scored, update, null);
    }

    /** @return the epoch indices of these images (prompt order) */
    public int[] rows() {
        return place.rows();
    }

    /** @return G */
    public int groupSize() {
        return place.groupSize();
    }

    /** @return the clean samples x0 (b, ...) */
    public NDArray samples() {
        return drawn.samples();
    }

    /** @return the recorded sampler steps restricted to these rows (empty for ODE rollouts) */
    public List<RecordedStep> steps() {
        return drawn.steps();
    }

    /** @return per-image text conditioning, batch b */
    public Conditioning conditioning() {
        return drawn.conditioning();
    }

    /** @return per-image unconditional conditioning, batch b (null when unused) */
    public Conditioning unconditional() {
        return drawn.unconditional();
    }

    /** @return the sampler that drew the rollouts */
    public Sampler sampler() {
        return drawn.sampler();
    }

    /** @return per-image advantages (b), float32 */
    public NDArray advantages() {
        return scored.advantages();
    }

    /** @return the whole epoch's scores */
    public RewardBatch rewards() {
        return scored.rewards();
    }

    /** @return epoch and step counters */
    public TrainingProgress progress() {
        return update.progress();
    }

    /** @return the micro-batch's own random stream (depends on the rows packed together) */
    public SeededNoise rng() {
        return update.rng();
    }

    /** @return the epoch's per-row stream */
    public SeededNoise epochRng() {
        return update.epochRng();
    }

    public int size() {
        return rows().length;
    }

    /**
     * @return a micro-batch over all rows of the groups this one's rows belong to: this batch itself
     *     when it holds whole groups, else the trainer's group batch (whole groups, prompt order,
     *     arrays in the same step manager)
     */
    public MicroBatch groups() {
        return groups == null ? this : groups;
    }

    /** @return true when this micro-batch holds only part of its groups ({@link #groups()} is another batch) */
    public boolean isPartOfGroups() {
        return groups != null;
    }

    /**
     * @return for each row {@code i}, its position in {@link #groups()}{@code .rows()} (the identity
     *     for a batch of whole groups); the position divided by G is the row's group in that batch
     */
    public int[] positionsInGroups() {
        return positionsIn(rows(), groups().rows());
    }

    /**
     * @param i a row position in [0, b)
     * @return row {@code i}'s own random stream, {@code epochRng().fork(rows()[i])}: the same in every
     *     micro-batch that holds that epoch row
     */
    public SeededNoise rowRng(int i) {
        return epochRng().fork(rows()[i]);
    }

    /**
     * Standard normal noise of the samples' shape whose row {@code i} is drawn from {@code
     * rowRng(i).fork(stream)}, so it does not depend on the other rows of the micro-batch.
     *
     * @param owner the manager of the result (the one that currently owns {@link #samples()})
     * @param stream the label of the draw (e.g. the objective's noise stream plus the pass)
     * @return float32 (b, ...) noise, in libtorch-owned memory
     */
    public NDArray rowNormal(NDManager owner, long stream) {
        return normal(owner, i -> rowRng(i).fork(stream));
    }

    /**
     * Standard normal noise of the samples' shape shared by the images of a group: row {@code i} is
     * drawn from {@code epochRng().fork(stream).fork(rows()[i] / groupSize())} (DGPO's
     * {@code use_shared_noise}), the same however the group is cut into micro-batches.
     *
     * @param owner the manager of the result (the one that currently owns {@link #samples()})
     * @param stream the label of the draw
     * @return float32 (b, ...) noise, in libtorch-owned memory
     */
    public NDArray groupNormal(NDManager owner, long stream) {
        SeededNoise epoch = epochRng().fork(stream);
        return normal(owner, i -> epoch.fork(rows()[i] / groupSize()));
    }

    private NDArray normal(NDManager owner, java.util.function.IntFunction<SeededNoise> source) {
        Shape shape = samples().getShape();
        int b = size();
        int per = b == 0 ? 0 : Math.toIntExact(shape.size() / b);
        float[] values = new float[b * per];
        for (int i = 0; i < b; i++) {
            SeededNoise r = source.apply(i);
            for (int k = 0; k < per; k++) {
                values[i * per + k] = (float) r.nextGaussian();
            }
        }
        // create(float[]) wraps a Java buffer that autograd may outlive: copy into libtorch memory.
        try (NDArray wrapped = owner.create(values, shape)) {
            return wrapped.duplicate();
        }
    }

    /**
     * @param levels per-row noise levels, {@code b x P} (from {@link #rowLevels})
     * @param pass the column, in [0, P)
     * @return column {@code pass} as float32 (b), in libtorch memory owned by the manager that
     *     currently owns {@link #samples()} (so that a pass's scope frees it with the pass)
     */
    public NDArray levelColumn(double[][] levels, int pass) {
        if (levels.length != size()) {
            throw new IllegalArgumentException(levels.length + " rows of levels for a micro-batch of " + size());
        }
        float[] s = new float[levels.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) levels[i][pass];
        }
        // create(float[]) wraps a Java buffer that autograd may outlive: copy into libtorch memory.
        try (NDArray wrapped = samples().getManager().create(s)) {
            return wrapped.duplicate();
        }
    }

    /**
     * Noise levels drawn per row: row {@code i} is {@code levels.draw(1, rowRng(i).fork(stream))}, or,
     * when {@link TrainingNoiseLevels#sharedWithinGroup()}, {@code levels.draw(1,
     * epochRng().fork(stream).fork(group))} with {@code group = rows()[i] / groupSize()}, so that every
     * image of a prompt gets the same levels however the group is cut into micro-batches.
     *
     * @param levels the noise-level strategy
     * @param stream the label of the draw
     * @return a {@code b x levels.levelsPerSample()} matrix
     * @throws IllegalStateException when the strategy returns a malformed row
     */
    public double[][] rowLevels(TrainingNoiseLevels levels, long stream) {
        double[][] out = new double[size()][];
        for (int i = 0; i < out.length; i++) {
            SeededNoise source = levels.sharedWithinGroup() ? epochRng().fork(stream).fork(rows()[i] / groupSize())
                    : rowRng(i).fork(stream);
            double[][] drawn = levels.draw(1, source);
            if (drawn.length != 1 || drawn[0].length != levels.levelsPerSample()) {
                throw new IllegalStateException("noise levels returned a " + drawn.length + " x "
                        + (drawn.length == 0 ? 0 : drawn[0].length) + " draw for one sample of " + levels.levelsPerSample()
                        + " levels");
            }
            out[i] = drawn[0];
        }
        return out;
    }

    /** @return the advantages on the host */
    public double[] advantagesOnHost() {
        float[] a = advantages().toFloatArray();
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "MicroBatch{rows=" + Arrays.toString(rows()) + ", groupSize=" + groupSize() + ", progress=" + progress()
                + (groups == null ? "" : ", part of groups " + Arrays.toString(groups.rows())) + "}";
    }

    private static int[] positionsIn(int[] rows, int[] groupRows) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int found = -1;
            for (int j = 0; j < groupRows.length && found < 0; j++) {
                if (groupRows[j] == rows[i]) {
                    found = j;
                }
            }
            if (found < 0) {
                throw new IllegalArgumentException("row " + rows[i] + " is not in the group batch " + Arrays.toString(groupRows));
            }
            out[i] = found;
        }
        return out;
    }
}
