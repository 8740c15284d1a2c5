package io.diffrl4j.benchmarks.e2e;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one epoch of the loop measured.
 *
 * @param epoch 1-based
 * @param wallSeconds the epoch's wall time (listener overhead of this benchmark excluded)
 * @param samplingSeconds sampling the rollouts (the trainer's {@code time/sampling})
 * @param scoringSeconds waiting for rewards after sampling ({@code time/scoring}; scoring overlaps sampling)
 * @param updateSeconds the optimizer steps with their forward and backward passes ({@code time/update})
 * @param images images sampled (P x G)
 * @param updatedImages images whose loss entered an update (groups with all-zero advantages may be skipped)
 * @param rssMb resident set at the end of the epoch
 * @param peakRssMb peak resident set so far
 * @param liveArrays NDArrays alive under the engine at the end of the epoch
 * @param liveArrayMb their bytes
 * @param heapUsedMb Java heap in use
 * @param heapCommittedMb Java heap committed
 * @param gcSeconds garbage collection time during the epoch
 * @param endEpochMillis the epoch's end, wall clock
 */
public record EpochRow(int epoch, double wallSeconds, double samplingSeconds, double scoringSeconds,
        double updateSeconds, int images, int updatedImages, double rssMb, double peakRssMb, int liveArrays,
        double liveArrayMb, double heapUsedMb, double heapCommittedMb, double gcSeconds, long endEpochMillis) {

    /** @return wall time not spent sampling, waiting for scores or updating (advantages, schedules, metrics) */
    public double otherSeconds() {
        return Math.max(0, wallSeconds - samplingSeconds - scoringSeconds - updateSeconds);
    }

    /**
     * @return the resident set outside the Java heap (native allocations, libraries, metaspace,
     *     code, stacks): RSS minus the committed heap, which is all resident when the heap is
     *     pre-touched ({@code -XX:+AlwaysPreTouch}, as run.sh starts it)
     */
    public double nativeRssMb() {
        return rssMb - heapCommittedMb;
    }

    /** @return images sampled per second of the epoch's wall time */
    public double imagesPerSecond() {
        return images / wallSeconds;
    }

    /** @return images sampled per second of sampling time */
    public double imagesPerSamplingSecond() {
        return images / samplingSeconds;
    }

    /** @return samples updated per second of update time */
    public double updatedPerUpdateSecond() {
        return updatedImages / updateSeconds;
    }

    /** @return this row as JSON */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("epoch", epoch);
        n.put("wall_s", wallSeconds);
        n.put("sampling_s", samplingSeconds);
        n.put("scoring_s", scoringSeconds);
        n.put("update_s", updateSeconds);
        n.put("other_s", otherSeconds());
        n.put("images", images);
        n.put("updated_images", updatedImages);
        n.put("images_per_s", imagesPerSecond());
        n.put("images_per_sampling_s", imagesPerSamplingSecond());
        n.put("updated_per_update_s", updatedPerUpdateSecond());
        n.put("rss_mb", rssMb);
        n.put("peak_rss_mb", peakRssMb);
        n.put("native_rss_mb", nativeRssMb());
        n.put("live_arrays", liveArrays);
        n.put("live_array_mb", liveArrayMb);
        n.put("heap_used_mb", heapUsedMb);
        n.put("heap_committed_mb", heapCommittedMb);
        n.put("gc_s", gcSeconds);
        return n;
    }
}
