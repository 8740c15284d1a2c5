package io.diffrl4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.StepResult;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import java.util.ArrayList;
import java.util.List;

/** How an epoch's groups are cut into micro-batches and optimizer steps, and how a micro-batch is assembled. */
final class MicroBatches {
    /**
     * Groups of one sampling batch (local group indices) that train together: all their rows, or,
     * when {@code parts > 1} (one group only), the {@code part}-th of {@code parts} equal runs of
     * consecutive rows of each.
     */
    record Plan(int chunk, int[] groups, int part, int parts) {
        Plan(int chunk, int[] groups) {
            this(chunk, groups, 0, 1);
        }

        /** @return true when the plan covers its groups' every row */
        boolean whole() {
            return parts == 1;
        }

        /** @return this plan's whole groups cut into {@code n} parts, in row order ({@code [this]} for 1) */
        List<Plan> parts(int n) {
            List<Plan> out = new ArrayList<>(n);
            for (int p = 0; p < n; p++) {
                out.add(new Plan(chunk, groups, p, n));
            }
            return out;
        }
    }

    private MicroBatches() {}

    /**
     * Packs the groups of each sampling batch into micro-batches of up to {@code perMicroBatch}
     * groups, leaving out groups with no signal when asked, then shuffles the micro-batches.
     */
    static List<Plan> plan(int chunks, int groupsPerChunk, int perMicroBatch, int groupSize, double[] advantages,
            boolean skipZero, SeededNoise rng) {
        List<Plan> plans = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            List<Integer> kept = new ArrayList<>();
            for (int k = 0; k < groupsPerChunk; k++) {
                if (!skipZero || hasSignal(advantages, (c * groupsPerChunk + k) * groupSize, groupSize)) {
                    kept.add(k);
                }
            }
            for (int from = 0; from < kept.size(); from += perMicroBatch) {
                List<Integer> part = kept.subList(from, Math.min(kept.size(), from + perMicroBatch));
                plans.add(new Plan(c, part.stream().mapToInt(Integer::intValue).toArray()));
            }
        }
        int[] order = rng.permutation(plans.size());
        List<Plan> shuffled = new ArrayList<>(plans.size());
        for (int i : order) {
            shuffled.add(plans.get(i));
        }
        return shuffled;
    }

    /** Splits micro-batches into {@code steps} consecutive, nearly equal parts; empty parts are dropped. */
    static List<List<Plan>> split(List<Plan> plans, int steps) {
        List<List<Plan>> out = new ArrayList<>();
        int n = plans.size();
        for (int s = 0; s < steps; s++) {
            List<Plan> part = plans.subList(s * n / steps, (s + 1) * n / steps);
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }

    /**
     * Gathers a plan's rows (prompt order) into a micro-batch owned by {@code manager}.
     *
     * @param epochRng the epoch's per-row stream
     * @param groups the micro-batch of the plan's whole groups when the plan is a part, else null
     */
    static MicroBatch build(Step step, Plan plan, Source source, Epoch epoch, SeededNoise rng, MicroBatch groups) {
        NDManager manager = step.manager();
        Rollout rollout = source.rollout();
        int firstRow = source.firstRow();
        double[] advantages = epoch.advantages();
        int g = rollout.groupSize();
        int per = g / plan.parts();
        int[] local = new int[plan.groups().length * per];
        int[] promptRows = new int[local.length];
        for (int k = 0; k < plan.groups().length; k++) {
            for (int j = 0; j < per; j++) {
                local[k * per + j] = plan.groups()[k] * g + plan.part() * per + j;
                promptRows[k * per + j] = plan.groups()[k];
            }
        }
        NDArray index = manager.create(java.util.Arrays.stream(local).asLongStream().toArray());
        int[] rows = new int[local.length];
        float[] a = new float[local.length];
        for (int i = 0; i < local.length; i++) {
            rows[i] = firstRow + local[i];
            a[i] = (float) advantages[rows[i]];
        }
        List<RecordedStep> steps = new ArrayList<>();
        for (RecordedStep s : rollout.steps()) {
            steps.add(new RecordedStep(s.index(), s.sigma(), s.sigmaNext(), take(s.x(), index, manager),
                    new StepResult(take(s.next(), index, manager), take(s.mean(), index, manager),
                            take(s.logProb(), index, manager), s.stdDev(), s.result().noiseStd())));
        }
        return new MicroBatch(manager, new MicroBatch.Place(rows, g),
                new MicroBatch.Drawn(take(rollout.samples(), index, manager), List.copyOf(steps),
                        source.cond().gather(promptRows, manager),
                        source.uncond() == null ? null : source.uncond().gather(promptRows, manager), epoch.sampler()),
                new MicroBatch.Scored(owned(manager, a), epoch.rewards()),
                new MicroBatch.Update(step.progress(), rng, epoch.rng()), groups);
    }

    /**
     * The rows (epoch order) of the groups that train, shuffled and cut into micro-batches of
     * {@code size} images that mix prompts, as GARDO's scripts do ({@code randperm(total_batch_size)}
     * then {@code train.batch_size} images per micro-batch); a last, smaller micro-batch keeps the
     * remainder.
     */
    static List<int[]> shuffledRows(int groups, int groupSize, int size, double[] advantages, boolean skipZero,
            SeededNoise rng) {
        List<Integer> kept = new ArrayList<>();
        for (int k = 0; k < groups; k++) {
            if (!skipZero || hasSignal(advantages, k * groupSize, groupSize)) {
                for (int j = 0; j < groupSize; j++) {
                    kept.add(k * groupSize + j);
                }
            }
        }
        int[] order = rng.permutation(kept.size());
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += size) {
            int[] rows = new int[Math.min(size, order.length - from)];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = kept.get(order[from + i]);
            }
            java.util.Arrays.sort(rows);
            out.add(rows);
        }
        return out;
    }

    /**
     * One sampling batch: its rollout, the conditioning of its prompts (and the unconditional one,
     * null without guidance), and the epoch row of its first image.
     */
    record Source(Rollout rollout, Conditioning cond, Conditioning uncond, int firstRow) {}

    /**
     * What every micro-batch of an epoch shares: the advantages and rewards of all its rows, the
     * sampler that drew them, and the epoch's per-row noise stream.
     */
    record Epoch(double[] advantages, RewardBatch rewards, Sampler sampler, SeededNoise rng) {}

    /** The optimizer step a micro-batch belongs to: the manager that owns it, and the progress. */
    record Step(NDManager manager, TrainingProgress progress) {}

    /**
     * Gathers epoch rows (sorted) that may come from several sampling batches into one micro-batch
     * owned by {@code manager}. The sampling batches must have recorded the same steps.
     */
    static MicroBatch buildRows(Step step, int[] rows, List<Source> sources, int groupSize, Epoch epoch, SeededNoise rng) {
        NDManager manager = step.manager();
        double[] advantages = epoch.advantages();
        List<NDArray> samples = new ArrayList<>();
        List<List<NDArray[]>> steps = new ArrayList<>();
        Conditioning cond = null;
        Conditioning uncond = null;
        List<RecordedStep> first = null;
        int at = 0;
        for (Source src : sources) {
            int per = src.rollout().samples().getShape().size() == 0 ? 0 : Math.toIntExact(src.rollout().samples().getShape().get(0));
            List<Integer> local = new ArrayList<>();
            while (at < rows.length && rows[at] < src.firstRow() + per) {
                if (rows[at] >= src.firstRow()) {
                    local.add(rows[at] - src.firstRow());
                }
                at++;
            }
            if (local.isEmpty()) {
                continue;
            }
            List<RecordedStep> recorded = src.rollout().steps();
            if (first == null) {
                first = recorded;
            } else if (!sameSteps(first, recorded)) {
                throw new IllegalStateException("mixed-prompt micro-batches need every sampling batch to record the same "
                        + "steps (a Flow-GRPO-Fast window placed per batch does not)");
            }
            long[] idx = local.stream().mapToLong(Integer::longValue).toArray();
            int[] promptRows = local.stream().mapToInt(r -> r / groupSize).toArray();
            NDArray index = manager.create(idx);
            samples.add(take(src.rollout().samples(), index, manager));
            for (int k = 0; k < recorded.size(); k++) {
                if (steps.size() <= k) {
                    steps.add(new ArrayList<>());
                }
                RecordedStep st = recorded.get(k);
                steps.get(k).add(new NDArray[] {take(st.x(), index, manager), take(st.next(), index, manager),
                        take(st.logProb(), index, manager), take(st.mean(), index, manager)});
            }
            Conditioning c = src.cond().gather(promptRows, manager);
            Conditioning u = src.uncond() == null ? null : src.uncond().gather(promptRows, manager);
            cond = cond == null ? c : cond.concat(c, manager);
            uncond = u == null ? uncond : uncond == null ? u : uncond.concat(u, manager);
        }
        if (at != rows.length || samples.isEmpty()) {
            throw new IllegalArgumentException("rows " + java.util.Arrays.toString(rows) + " are not sorted epoch rows of "
                    + "the sampling batches");
        }
        List<RecordedStep> merged = new ArrayList<>();
        for (int k = 0; k < steps.size(); k++) {
            RecordedStep st = first.get(k);
            List<NDArray[]> parts = steps.get(k);
            merged.add(new RecordedStep(st.index(), st.sigma(), st.sigmaNext(), cat(parts, 0, manager),
                    new StepResult(cat(parts, 1, manager), cat(parts, 3, manager), cat(parts, 2, manager), st.stdDev(),
                            st.result().noiseStd())));
        }
        float[] a = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            a[i] = (float) advantages[rows[i]];
        }
        NDArray x0 = samples.size() == 1 ? samples.get(0) : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(samples), 0);
        x0.attach(manager);
        return new MicroBatch(manager, new MicroBatch.Place(rows.clone(), groupSize),
                new MicroBatch.Drawn(x0, List.copyOf(merged), cond, uncond, epoch.sampler()),
                new MicroBatch.Scored(owned(manager, a), epoch.rewards()),
                new MicroBatch.Update(step.progress(), rng, epoch.rng()));
    }

    private static boolean sameSteps(List<RecordedStep> a, List<RecordedStep> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int k = 0; k < a.size(); k++) {
            if (a.get(k).index() != b.get(k).index()) {
                return false;
            }
        }
        return true;
    }

    private static NDArray cat(List<NDArray[]> parts, int which, NDManager manager) {
        if (parts.get(0)[which] == null) {
            return null;
        }
        if (parts.size() == 1) {
            return parts.get(0)[which];
        }
        ai.djl.ndarray.NDList list = new ai.djl.ndarray.NDList();
        for (NDArray[] p : parts) {
            list.add(p[which]);
        }
        NDArray out = ai.djl.ndarray.NDArrays.concat(list, 0);
        out.attach(manager);
        return out;
    }

    /**
     * Moves every array of the batch (and of its group batch, when it is a part) into {@code scope}
     * until it closes, so a pass's graph, including a no-grad pass over the group, dies with the pass.
     */
    static void tempAttach(NDManager scope, MicroBatch b) {
        List<NDArray> arrays = new ArrayList<>();
        collect(b, arrays);
        if (b.isPartOfGroups()) {
            collect(b.groups(), arrays);
        }
        scope.tempAttachAll(arrays.toArray(new NDArray[0]));
    }

    private static void collect(MicroBatch b, List<NDArray> arrays) {
        arrays.add(b.samples());
        arrays.add(b.advantages());
        for (RecordedStep s : b.steps()) {
            arrays.add(s.x());
            arrays.add(s.next());
            arrays.add(s.logProb());
            arrays.add(s.mean());
        }
        for (Conditioning c : new Conditioning[] {b.conditioning(), b.unconditional()}) {
            if (c != null && c.sequence() != null) {
                arrays.add(c.sequence());
            }
            if (c != null && c.pooled() != null) {
                arrays.add(c.pooled());
            }
        }
    }

    /** create(float[]) wraps a Java buffer that autograd may outlive: copy into libtorch memory. */
    private static NDArray owned(NDManager manager, float[] values) {
        try (NDArray wrapped = manager.create(values)) {
            return wrapped.duplicate();
        }
    }

    private static NDArray take(NDArray source, NDArray index, NDManager owner) {
        NDArray out = source.get(new NDIndex("{}", index));
        out.attach(owner);
        return out;
    }

    private static boolean hasSignal(double[] advantages, int from, int count) {
        for (int i = from; i < from + count; i++) {
            if (advantages[i] != 0) {
                return true;
            }
        }
        return false;
    }
}
