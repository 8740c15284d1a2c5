package io.diffrl4j.benchmarks.support;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's memory as the kernel and DJL see it: resident set (Linux {@code VmRSS}), its peak
 * ({@code VmHWM}, resettable), the live NDArrays under the engine's system manager (every array
 * any manager of this process still holds), and the Java heap, so that a benchmark can tell native
 * growth from heap growth.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** @return the resident set in MiB, NaN where {@code /proc} is missing */
    public static double rssMb() {
        return statusKb("VmRSS:") / 1024.0;
    }

    /** @return the peak resident set in MiB since start or the last {@link #resetPeak()} */
    public static double peakRssMb() {
        return statusKb("VmHWM:") / 1024.0;
    }

    /**
     * Resets the peak resident set to the current one (writes 5 to {@code /proc/self/clear_refs},
     * Linux 4.0+), so that a following {@link #peakRssMb()} measures one piece of work.
     *
     * @return whether the kernel accepted the reset
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Counts the NDArrays every DJL manager of this process holds, by walking the engine's system
     * manager (the parent of all base managers) recursively, as the project's native-memory test
     * counts one root manager's arrays.
     *
     * @return the number of live arrays
     */
    public static int liveArrays() {
        return managedArrays().size();
    }

    /**
     * @return the bytes of all live NDArrays ({@link #liveArrays()}), counted per array (views of
     *     one storage count once each), in MiB
     */
    public static double liveArrayMb() {
        long bytes = 0;
        for (NDArray a : managedArrays()) {
            bytes += a.size() * a.getDataType().getNumOfBytes();
        }
        return bytes / 1048576.0;
    }

    private static List<NDArray> managedArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            NDManager system = probe.getParentManager();
            return system == null ? probe.getManagedArrays() : system.getManagedArrays();
        }
    }

    /** @return whether the JVM was started with {@code -XX:+AlwaysPreTouch} (then all committed heap is resident) */
    public static boolean heapPreTouched() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch");
    }

    /** @return Java heap in use, MiB */
    public static double heapUsedMb() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed() / 1048576.0;
    }

    /** @return Java heap committed (reserved from the OS), MiB */
    public static double heapCommittedMb() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getCommitted() / 1048576.0;
    }

    /** @return total time spent in garbage collection since start, milliseconds */
    public static long gcMillis() {
        long total = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static double statusKb(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
