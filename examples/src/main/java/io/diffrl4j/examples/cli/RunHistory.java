package io.diffrl4j.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.examples.report.MetricsCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The history files of a run folder that a resumed run continues: {@code metrics.csv} and
 * {@code metrics.jsonl} (one row per trained epoch, {@code epoch} counting from 0) and
 * {@code eval.csv} (one row per evaluation, {@code epoch} = epochs completed). A run killed after
 * its last checkpoint may have written rows beyond it; they are dropped on resume, because the
 * resumed run writes them again.
 */
public final class RunHistory {
    /** The files a fresh run starts without. */
    private static final List<String> FILES = List.of("metrics.csv", "metrics.jsonl", "eval.csv");
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunHistory() {}

    /**
     * Removes what an earlier run left in a folder a fresh run starts in: the history files and
     * the checkpoint folder, so that neither is appended to nor resumed from.
     *
     * @param out the run folder
     * @throws IOException when they cannot be deleted
     */
    public static void forget(Path out) throws IOException {
        for (String f : FILES) {
            Files.deleteIfExists(out.resolve(f));
        }
        Path checkpoints = out.resolve("checkpoints");
        if (Files.isDirectory(checkpoints)) {
            try (Stream<Path> walk = Files.walk(checkpoints)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Reads the evaluations of the first {@code completed} epochs back and drops every later row.
     *
     * @param out the run folder
     * @param completed the epochs the restored checkpoint completed
     * @param eval filled with {@code eval.csv}'s columns, rows of epochs up to {@code completed}
     * @throws IOException when {@code eval.csv} is missing or a file cannot be rewritten
     */
    public static void restore(Path out, int completed, Map<String, List<Double>> eval) throws IOException {
        Path evalFile = out.resolve("eval.csv");
        if (!Files.exists(evalFile)) {
            throw new IOException("cannot resume " + out + ": its evaluation history " + evalFile + " is missing");
        }
        Map<String, double[]> old = MetricsCsv.read(evalFile);
        double[] epochs = old.get("epoch");
        for (int i = 0; i < epochs.length; i++) {
            if (epochs[i] <= completed) {
                for (Map.Entry<String, double[]> c : old.entrySet()) {
                    eval.computeIfAbsent(c.getKey(), k -> new ArrayList<>()).add(c.getValue()[i]);
                }
            }
        }
        MetricsCsv.write(evalFile, eval);
        keepRowsBefore(out.resolve("metrics.csv"), completed);
        keepLinesBefore(out.resolve("metrics.jsonl"), completed);
    }

    /**
     * @param configFile the {@code config.json} of the run to resume
     * @param now the config the resumed run would write
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the first setting that differs, other than {@code epochs}
     */
    public static void checkSameSettings(Path configFile, ObjectNode now) throws IOException {
        if (!Files.exists(configFile)) {
            throw new IOException("cannot resume: " + configFile + " is missing, so the run's settings are unknown");
        }
        JsonNode before = JSON.readTree(configFile.toFile());
        for (Iterator<String> it = now.fieldNames(); it.hasNext();) {
            String key = it.next();
            // as text: a seed written as a long reads back as an int
            if (!key.equals("epochs") && !String.valueOf(now.get(key)).equals(String.valueOf(before.get(key)))) {
                throw new IllegalArgumentException("cannot resume " + configFile.getParent() + ": it was run with " + key
                        + " " + before.get(key) + ", this command asks for " + now.get(key)
                        + "; use another output folder, or --overwrite to replace it");
            }
        }
    }

    /**
     * Deletes every checkpoint of a trainer's folder but the one {@code latest} names: a run
     * checkpointed after every epoch resumes from its last one only, and keeping them all costs a
     * LoRA and its optimizer state per epoch.
     *
     * @param checkpoints the trainer's checkpoint folder
     * @throws IOException when a checkpoint cannot be deleted
     */
    public static void keepLatestCheckpoint(Path checkpoints) throws IOException {
        Path latest = checkpoints.resolve("latest");
        if (!Files.exists(latest)) {
            return;
        }
        String keep = Files.readString(latest).trim();
        try (Stream<Path> s = Files.list(checkpoints)) {
            for (Path old : s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("checkpoint-")
                    && !p.getFileName().toString().equals(keep)).toList()) {
                try (Stream<Path> walk = Files.walk(old)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    private static void keepRowsBefore(Path csv, int completed) throws IOException {
        if (!Files.exists(csv)) {
            return;
        }
        List<String> lines = Files.readAllLines(csv);
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (i == 0 || Integer.parseInt(lines.get(i).split(",", 2)[0]) < completed) {
                kept.add(lines.get(i));
            }
        }
        Files.write(csv, kept);
    }

    private static void keepLinesBefore(Path jsonl, int completed) throws IOException {
        if (!Files.exists(jsonl)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            if (!line.isBlank() && JSON.readTree(line).path("epoch").asInt() < completed) {
                kept.add(line);
            }
        }
        Files.write(jsonl, kept);
    }
}
