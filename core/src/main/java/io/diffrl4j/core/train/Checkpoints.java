package io.diffrl4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.adapter.AdapterFiles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.schedule.AdapterSchedule;
import io.diffrl4j.core.weights.SafetensorsReader;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A trainer's checkpoint folder: {@code checkpoint-<epochs>/} with {@code adapters/<set>/} (PEFT
 * format), {@code optimizer.safetensors}, {@code state.json} (counters, the run's identity and
 * config, strategy state, the adapter layout) and {@code manifest.sha256} (every other file's
 * hash, written last), plus {@code latest} naming the newest.
 *
 * <p>Writing: a checkpoint is built under a temporary name, flushed to disk and renamed, and
 * {@code latest} is replaced atomically, so a crash at any moment leaves the last good checkpoint
 * and a {@code latest} that names it; leftovers of an interrupted write are removed by the next
 * save. A folder holding another run's checkpoints is refused, never overwritten or rewound.
 *
 * <p>Reading is all or nothing: the pointer, every file's hash, every field of the state and the
 * run's identity are checked, and the adapters and optimizer moments are read into scratch space
 * and checked for shape and finiteness, before the trainer is touched.
 */
final class Checkpoints {
    static final String LATEST = "latest";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 2;
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{1,9})");
    /** Settings a resumed run may change: they decide how, not what, is computed. */
    private static final Set<String> OPERATIONAL = Set.of("reward_timeout_ms", "reward_threads");

    private Checkpoints() {}

    static Path save(Path dir, Trainer trainer) throws IOException {
        Files.createDirectories(dir);
        removeLeftovers(dir);
        String name = "checkpoint-" + trainer.completedEpochs();
        Path target = dir.resolve(name);
        Path latest = currentLatest(dir, trainer);
        if (latest != null && latest.equals(target)) {
            return target; // already saved: the end of training after an epoch's checkpoint
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            requireOwnRun(target, trainer);
        }
        Path tmp = Files.createTempDirectory(dir, ".tmp-" + name + "-");
        try {
            Adapters adapters = trainer.model().adapters();
            for (String set : adapters.names()) {
                AdapterFiles.save(adapters.get(set), adapters.config(), tmp.resolve("adapters").resolve(set),
                        AdapterFiles.Format.PEFT);
            }
            SafetensorsWriter.save(tmp.resolve("optimizer.safetensors"), trainer.optimizer().state(), Map.of());
            Files.writeString(tmp.resolve(CheckpointState.FILE),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state(trainer)), StandardCharsets.UTF_8);
            CheckpointManifest.write(tmp);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                // This run's own checkpoint of the same epoch that latest does not name (a resume
                // from an earlier one redid the epoch): move it aside, it is not what latest names.
                Path old = dir.resolve(".old-" + name + "-" + System.nanoTime());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            CheckpointManifest.forceFolder(dir);
            Path pointer = Files.createTempFile(dir, ".latest-", ".tmp");
            Files.writeString(pointer, name, StandardCharsets.UTF_8);
            CheckpointManifest.force(pointer);
            Files.move(pointer, dir.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            CheckpointManifest.forceFolder(dir);
            return target;
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    static void restore(Path dir, Trainer trainer) throws IOException {
        Path ckpt = readLatest(dir);
        Map<String, String> files = CheckpointManifest.verify(ckpt);
        CheckpointState state = readState(ckpt, files);
        checkCompatible(ckpt, state, trainer);
        for (String set : state.adapterSets()) {
            for (String f : List.of("adapter_config.json", AdapterFiles.Format.PEFT.fileName())) {
                if (!files.containsKey("adapters/" + set + "/" + f)) {
                    throw new IOException("checkpoint " + ckpt + " lists adapter set '" + set + "' in " + CheckpointState.FILE
                            + " but " + CheckpointManifest.FILE + " has no adapters/" + set + "/" + f);
                }
            }
        }
        Adapters adapters = trainer.model().adapters();
        List<String> staged = new ArrayList<>();
        try (NDManager scratch = trainer.manager().newSubManager()) {
            // Stage: read everything into scratch space and check it; the trainer is untouched so far.
            for (String set : state.adapterSets()) {
                String scratchName = "__restore__" + set;
                staged.add(scratchName);
                Path folder = ckpt.resolve("adapters").resolve(set);
                AdapterSet loaded;
                try {
                    loaded = AdapterFiles.load(adapters, scratchName, folder, false);
                } catch (IllegalArgumentException e) {
                    throw new IOException("checkpoint adapter set " + folder + " does not fit this model: " + e.getMessage(), e);
                }
                requireFinite(loaded.parameters(), folder.resolve(AdapterFiles.Format.PEFT.fileName()));
            }
            Map<String, NDArray> moments = readMoments(ckpt.resolve("optimizer.safetensors"), scratch, trainer);
            // Commit: the strategies first (they can still refuse, and are put back if one does), then
            // what can no longer fail: adapters, optimizer, counters.
            restoreStrategies(ckpt, state, trainer);
            for (String set : state.adapterSets()) {
                AdapterSet loaded = adapters.get("__restore__" + set);
                if (adapters.contains(set)) {
                    adapters.get(set).copyFrom(loaded);
                } else {
                    adapters.copyOf(set, loaded, false);
                }
            }
            trainer.optimizer().restore(moments, state.globalStep());
            trainer.restoreCounters(state.epoch(), state.runId());
        } finally {
            for (String s : staged) {
                if (adapters.contains(s)) {
                    adapters.remove(s);
                }
            }
        }
    }

    /** @return the checkpoint {@code latest} names, checked to be a checkpoint folder inside {@code dir} */
    private static Path readLatest(Path dir) throws IOException {
        Path pointer = dir.resolve(LATEST);
        if (!Files.exists(pointer, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("no checkpoint in " + dir + ": the file '" + LATEST + "' is missing");
        }
        if (!Files.isRegularFile(pointer, LinkOption.NOFOLLOW_LINKS) || Files.size(pointer) > 64) {
            throw new IOException(pointer + " is not a checkpoint pointer: expected a small file holding a name like "
                    + "'checkpoint-12'");
        }
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(pointer)))
                    .toString().trim();
        } catch (CharacterCodingException e) {
            throw new IOException(pointer + " is not text (binary content): expected a name like 'checkpoint-12'", e);
        }
        if (!NAME.matcher(name).matches()) {
            throw new IOException(pointer + " names '" + name.replaceAll("\\p{Cntrl}", "?")
                    + "', not a checkpoint folder of " + dir + " (expected 'checkpoint-<epoch>')");
        }
        Path ckpt = dir.resolve(name);
        if (!Files.isDirectory(ckpt, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(pointer + " names " + name + ", but " + ckpt + " is missing or not a folder");
        }
        return ckpt;
    }

    private static CheckpointState readState(Path ckpt, Map<String, String> files) throws IOException {
        Path file = ckpt.resolve(CheckpointState.FILE);
        if (!files.containsKey(CheckpointState.FILE) || !files.containsKey("optimizer.safetensors")) {
            throw new IOException("checkpoint " + ckpt + ": " + CheckpointManifest.FILE + " must list "
                    + CheckpointState.FILE + " and optimizer.safetensors");
        }
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        CheckpointState state = CheckpointState.parse(file, json, FORMAT);
        String folderEpoch = ckpt.getFileName().toString().substring("checkpoint-".length());
        if (Integer.parseInt(folderEpoch) != state.epoch()) {
            throw new IOException(file + " says epoch " + state.epoch() + ", but its folder is " + ckpt.getFileName());
        }
        return state;
    }

    /**
     * The checkpoint {@code latest} names when it belongs to this trainer's run at an epoch before
     * this one (so saving continues it); null when there is none.
     *
     * @throws IOException when the folder holds another run, or this run at a later epoch
     */
    private static Path currentLatest(Path dir, Trainer trainer) throws IOException {
        if (!Files.exists(dir.resolve(LATEST), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path ckpt;
        JsonNode state;
        try {
            ckpt = readLatest(dir);
            state = JSON.readTree(ckpt.resolve(CheckpointState.FILE).toFile());
        } catch (IOException e) {
            throw new IOException("cannot save into " + dir + ": it holds checkpoints this run cannot read ("
                    + e.getMessage() + "); save into another folder, or remove them", e);
        }
        String run = state.path("run_id").asText("");
        if (!run.equals(trainer.runId())) {
            throw new IOException("cannot save into " + dir + ": it holds another run's checkpoints (latest is "
                    + ckpt.getFileName() + (run.isEmpty() ? "" : " of run " + run) + "; this run is " + trainer.runId()
                    + "); resume that run with Trainer.resume, or save into another folder");
        }
        int epoch = state.path("epoch").asInt(-1);
        long step = state.path("global_step").asLong(-1);
        if (epoch > trainer.completedEpochs()) {
            throw new IOException("cannot save epoch " + trainer.completedEpochs() + " into " + dir + ": its latest checkpoint "
                    + "is this run's epoch " + epoch + " and saving would rewind it");
        }
        return epoch == trainer.completedEpochs() && step == trainer.globalStep() ? ckpt : null;
    }

    private static void requireOwnRun(Path target, Trainer trainer) throws IOException {
        String run;
        try {
            run = JSON.readTree(target.resolve(CheckpointState.FILE).toFile()).path("run_id").asText("");
        } catch (IOException e) {
            run = "";
        }
        if (!run.equals(trainer.runId())) {
            throw new IOException("cannot save into " + target + ": it holds a checkpoint this run did not write"
                    + (run.isEmpty() ? "" : " (run " + run + ")") + "; save into another folder, or remove it");
        }
    }

    /** Deletes what an interrupted save left: temporary checkpoints, replaced ones, pointer files. */
    private static void removeLeftovers(Path dir) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> s = Files.list(dir)) {
            leftovers = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".tmp-checkpoint-") || n.startsWith(".old-checkpoint-")
                        || (n.startsWith(".latest-") && n.endsWith(".tmp"));
            }).toList();
        }
        for (Path p : leftovers) {
            deleteTree(p);
        }
    }

    private static Map<String, NDArray> readMoments(Path file, NDManager scratch, Trainer trainer) throws IOException {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (NDArray p : trainer.policyParameters()) {
            params.put(p.getName(), p);
        }
        Map<String, NDArray> moments = new LinkedHashMap<>();
        try (SafetensorsReader reader = new SafetensorsReader(file)) {
            for (String key : reader.names()) {
                String param = key.length() > 2 ? key.substring(2) : "";
                if (!(key.startsWith("m.") || key.startsWith("v.")) || !params.containsKey(param)) {
                    throw new IOException(file + " holds '" + key + "', which is no moment of this model's trainable "
                            + "adapter parameters");
                }
                NDArray a = reader.read(key, scratch, DataType.FLOAT32);
                if (!a.getShape().equals(params.get(param).getShape())) {
                    throw new IOException(file + ": '" + key + "' has shape " + a.getShape() + ", the parameter has "
                            + params.get(param).getShape());
                }
                moments.put(key, a);
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a readable optimizer state: " + e.getMessage(), e);
        }
        if (!moments.isEmpty()) {
            Set<String> want = new TreeSet<>();
            params.keySet().forEach(p -> {
                want.add("m." + p);
                want.add("v." + p);
            });
            if (!want.equals(new TreeSet<>(moments.keySet()))) {
                Set<String> missing = new TreeSet<>(want);
                missing.removeAll(moments.keySet());
                throw new IOException(file + " lacks the moments " + missing);
            }
        }
        requireFinite(new ArrayList<>(moments.values()), file);
        return moments;
    }

    private static void requireFinite(List<NDArray> arrays, Path file) throws IOException {
        for (NDArray a : arrays) {
            // sum(x * 0) is 0 exactly when every x is finite: one host read per array
            try (NDArray zero = a.mul(0f); NDArray sum = zero.sum()) {
                if (sum.getFloat() != 0f) {
                    throw new IOException(file + " holds infinite or NaN values in '" + a.getName() + "'");
                }
            }
        }
    }

    /** The method's stateful strategies by their checkpoint key: schedules, then regularizers. */
    private static Map<String, Stateful> strategies(Trainer trainer) {
        Map<String, Stateful> out = new LinkedHashMap<>();
        for (AdapterSchedule s : trainer.method().schedules()) {
            out.put(s.stateKey(), new Stateful("schedule " + s.getClass().getSimpleName(), s::state, s::restore));
        }
        for (Regularizer r : trainer.method().regularizers()) {
            out.put(r.stateKey(), new Stateful("regularizer " + r.getClass().getSimpleName(), r::state, r::restore));
        }
        return out;
    }

    /** A strategy's state, read and written. */
    private record Stateful(String what, java.util.function.Supplier<Map<String, Double>> state,
            java.util.function.Consumer<Map<String, Double>> restore) {}

    /** Restores every strategy by key, or, when one refuses, puts back what was restored. */
    private static void restoreStrategies(Path ckpt, CheckpointState state, Trainer trainer) throws IOException {
        Map<String, Stateful> strategies = strategies(trainer);
        Map<String, Map<String, Double>> before = new LinkedHashMap<>();
        strategies.forEach((k, s) -> before.put(k, s.state().get()));
        String at = "";
        try {
            for (Map.Entry<String, Stateful> e : strategies.entrySet()) {
                at = "'" + e.getKey() + "' (" + e.getValue().what() + ")";
                e.getValue().restore().accept(state.strategies().get(e.getKey()));
            }
        } catch (RuntimeException e) {
            strategies.forEach((k, s) -> s.restore().accept(before.get(k)));
            throw new IOException(ckpt.resolve(CheckpointState.FILE) + ": the state of " + at + " was refused: "
                    + e.getMessage(), e);
        }
    }

    private static ObjectNode state(Trainer trainer) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("epoch", trainer.completedEpochs());
        n.put("global_step", trainer.globalStep());
        n.put("run_id", trainer.runId());
        n.put("method", trainer.method().name());
        n.set("config", trainer.config().toJson());
        n.set("lora", lora(trainer.model().adapters()));
        ArrayNode sets = n.putArray("adapter_sets");
        trainer.model().adapters().names().forEach(sets::add);
        ObjectNode strategies = n.putObject("strategies");
        strategies(trainer).forEach((k, s) -> strategies.set(k, CheckpointState.toJson(s.state().get())));
        return n;
    }

    private static ObjectNode lora(Adapters adapters) {
        ObjectNode lora = JSON.createObjectNode();
        lora.put("r", adapters.config().rank());
        lora.put("lora_alpha", adapters.config().alpha());
        ObjectNode modules = lora.putObject("modules");
        adapters.moduleShapes().forEach((k, v) -> modules.putArray(k).add(v[0]).add(v[1]));
        return lora;
    }

    private static void checkCompatible(Path ckpt, CheckpointState state, Trainer trainer) throws IOException {
        Path file = ckpt.resolve(CheckpointState.FILE);
        Adapters adapters = trainer.model().adapters();
        ObjectNode want = lora(adapters);
        if (state.lora().get("r").asInt() != adapters.config().rank()
                || state.lora().get("lora_alpha").asDouble() != adapters.config().alpha()
                || !state.lora().get("modules").toString().equals(want.get("modules").toString())) {
            throw new IllegalArgumentException("checkpoint " + ckpt + " was written for another model: its adapters have r="
                    + state.lora().get("r") + ", alpha=" + state.lora().get("lora_alpha") + " on "
                    + state.lora().get("modules").size() + " modules; this model's have r=" + adapters.config().rank()
                    + ", alpha=" + adapters.config().alpha() + " on " + want.get("modules").size() + " modules");
        }
        if (!state.method().equals(trainer.method().name())) {
            throw new IllegalArgumentException("checkpoint " + ckpt + " was written by method '" + state.method()
                    + "', this trainer runs '" + trainer.method().name() + "'");
        }
        List<String> changed = new ArrayList<>();
        ObjectNode now = trainer.config().toJson();
        Set<String> keys = new TreeSet<>();
        state.config().fieldNames().forEachRemaining(keys::add);
        now.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            if (!OPERATIONAL.contains(k) && !String.valueOf(state.config().get(k)).equals(String.valueOf(now.get(k)))) {
                changed.add(k + " " + state.config().get(k) + " in the checkpoint, " + now.get(k) + " here");
            }
        }
        if (!changed.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + ckpt + " belongs to a run with other settings: "
                    + String.join("; ", changed) + ". A resumed run continues the same run; to train on with other "
                    + "settings, start a new run from its adapters");
        }
        for (String set : adapters.names()) {
            if (!state.adapterSets().contains(set)) {
                throw new IOException(file + " has no adapter set '" + set + "', which this trainer's method keeps");
            }
        }
        Map<String, Stateful> strategies = strategies(trainer);
        for (Map.Entry<String, Stateful> e : strategies.entrySet()) {
            if (!state.strategies().containsKey(e.getKey())) {
                throw new IOException(file + " has no state for '" + e.getKey() + "' (" + e.getValue().what()
                        + " of method " + trainer.method().name() + ")");
            }
        }
        for (String key : state.strategies().keySet()) {
            if (!strategies.containsKey(key)) {
                throw new IOException(file + " holds state for '" + key + "', which method " + trainer.method().name()
                        + " has no strategy for (its strategies: " + strategies.keySet() + ")");
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Iterator<Path> it = walk.sorted(Comparator.reverseOrder()).iterator(); it.hasNext();) {
                Files.deleteIfExists(it.next());
            }
        }
    }
}
