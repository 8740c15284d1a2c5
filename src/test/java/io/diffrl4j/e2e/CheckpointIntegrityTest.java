package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a checkpoint folder can be damaged or hostile is refused with a message naming the
 * file, and a refused resume leaves the trainer exactly as it was (all or nothing). The damage is
 * done by hand here; where a test must get past the checksums to reach a later check, it rewrites
 * the manifest with its own SHA-256 code, as an attacker or a buggy tool could.
 */
class CheckpointIntegrityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TrainerConfig CONFIG = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();

    /** Trains one epoch and saves it into {@code dir}; returns the checkpoint folder. */
    private static Path saveOneEpoch(Path dir) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            trainer.trainUntil(1);
            return trainer.save(dir);
        }
    }

    /**
     * Resumes a trainer that has trained two epochs of its own (so its weights differ from the
     * checkpoint's) and expects the refusal; checks that nothing of the trainer changed.
     */
    private static <T extends Exception> T refused(Path dir, Class<T> type, String... fragments) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            trainer.trainUntil(2);
            List<List<float[]>> before = new ArrayList<>();
            for (String set : model.adapters().names()) {
                before.add(TrainerLoopTest.weights(model, set));
            }
            var sets = List.copyOf(model.adapters().names());
            T e = assertThrows(type, () -> trainer.resume(dir));
            for (String fragment : fragments) {
                assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
            }
            assertEquals(sets, List.copyOf(model.adapters().names()), "no adapter set added or left behind");
            for (int s = 0; s < sets.size(); s++) {
                List<float[]> after = TrainerLoopTest.weights(model, sets.get(s));
                for (int i = 0; i < after.size(); i++) {
                    assertArrayEquals(before.get(s).get(i), after.get(i), 0f, sets.get(s) + " array " + i + " untouched");
                }
            }
            assertEquals(2, trainer.completedEpochs());
            assertEquals(4, trainer.globalStep());
            trainer.trainUntil(3); // the trainer still works
            assertEquals(3, trainer.completedEpochs());
            return e;
        }
    }

    private static void flipBit(Path file, long offset) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int at = (int) (offset < 0 ? b.length + offset : offset);
        b[at] ^= 0x10;
        Files.write(file, b);
    }

    /** Writes {@code value} over the last float32 of a safetensors file's data; returns the file's old bytes. */
    private static byte[] overwriteLastFloat(Path file, float value) throws IOException {
        byte[] clean = Files.readAllBytes(file);
        byte[] b = clean.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 4, value);
        Files.write(file, b);
        return clean;
    }

    /** Rewrites the manifest from the files as they are now (SHA-256 computed here, independently). */
    private static void reseal(Path ckpt) throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(ckpt)) {
            files = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("manifest.sha256"))
                    .sorted().toList();
        }
        StringBuilder out = new StringBuilder();
        for (Path f : files) {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
            StringBuilder hex = new StringBuilder();
            for (byte x : d) {
                hex.append(String.format("%02x", x));
            }
            out.append(hex).append("  ").append(ckpt.relativize(f).toString().replace('\\', '/')).append('\n');
        }
        Files.writeString(ckpt.resolve("manifest.sha256"), out);
    }

    private static void editState(Path ckpt, Consumer<ObjectNode> edit) throws Exception {
        Path file = ckpt.resolve("state.json");
        ObjectNode n = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(n);
        Files.writeString(file, JSON.writeValueAsString(n));
        reseal(ckpt);
    }

    @Test
    void aCheckpointListsTheHashOfEveryFileItHolds(@TempDir Path dir) throws Exception {
        Path ckpt = saveOneEpoch(dir);
        List<String> lines = Files.readAllLines(ckpt.resolve("manifest.sha256"));
        List<String> listed = lines.stream().map(l -> l.substring(66)).sorted().toList();
        assertEquals(List.of("adapters/ema/adapter_config.json", "adapters/ema/adapter_model.safetensors",
                "adapters/old/adapter_config.json", "adapters/old/adapter_model.safetensors",
                "adapters/policy/adapter_config.json", "adapters/policy/adapter_model.safetensors",
                "optimizer.safetensors", "state.json"), listed);
        String before = Files.readString(ckpt.resolve("manifest.sha256"));
        reseal(ckpt); // the independent hashes agree with the library's, line for line
        assertEquals(before, Files.readString(ckpt.resolve("manifest.sha256")));
        ObjectNode state = (ObjectNode) JSON.readTree(ckpt.resolve("state.json").toFile());
        assertEquals(2, state.get("format").asInt());
        assertEquals(36, state.get("run_id").asText().length(), "a UUID");
    }

    @Test
    void aFlippedBitAnywhereIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path ckpt = saveOneEpoch(dir);
        Path adapter = ckpt.resolve("adapters/policy/adapter_model.safetensors");
        flipBit(adapter, -3); // in the last float of the data
        refused(dir, IOException.class, "checkpoint file " + adapter + " is corrupt: its SHA-256 is ");
        flipBit(adapter, -3);
        Path optimizer = ckpt.resolve("optimizer.safetensors");
        flipBit(optimizer, -1);
        refused(dir, IOException.class, optimizer + " is corrupt");
        flipBit(optimizer, -1);
        Path state = ckpt.resolve("state.json");
        Files.writeString(state, Files.readString(state).replace("\"learning_rate\" : 0.003", "\"learning_rate\" : 0.03"));
        refused(dir, IOException.class, state + " is corrupt");
    }

    @Test
    void nonFiniteOptimizerStateOrAdaptersAreRefusedEvenWithAValidManifest(@TempDir Path dir) throws Exception {
        Path ckpt = saveOneEpoch(dir);
        Path optimizer = ckpt.resolve("optimizer.safetensors");
        byte[] clean = overwriteLastFloat(optimizer, Float.NaN); // the last moment value
        reseal(ckpt);
        refused(dir, IOException.class, optimizer + " holds infinite or NaN values in");
        Files.write(optimizer, clean);
        Path adapter = ckpt.resolve("adapters/old/adapter_model.safetensors");
        overwriteLastFloat(adapter, Float.POSITIVE_INFINITY);
        reseal(ckpt);
        refused(dir, IOException.class, adapter + " holds infinite or NaN values");
    }

    @Test
    void badStateFieldsAreRefusedNamingTheField(@TempDir Path dir) throws Exception {
        Path ckpt = saveOneEpoch(dir);
        Path file = ckpt.resolve("state.json");
        byte[] clean = Files.readAllBytes(file);
        editState(ckpt, n -> n.put("epoch", -3));
        refused(dir, IOException.class, file + ": 'epoch' must be an integer in [0, 2147483647], got -3");
        Files.write(file, clean);
        editState(ckpt, n -> n.put("epoch", "five"));
        refused(dir, IOException.class, file + ": 'epoch' must be an integer in [0, 2147483647], got \"five\"");
        Files.write(file, clean);
        editState(ckpt, n -> n.put("epoch", 7));
        refused(dir, IOException.class, file + " says epoch 7, but its folder is checkpoint-1");
        Files.write(file, clean);
        editState(ckpt, n -> n.remove("global_step"));
        refused(dir, IOException.class, file + " lacks 'global_step'");
        Files.write(file, clean);
        editState(ckpt, n -> n.putArray("adapter_sets").add("policy").add("../../elsewhere"));
        refused(dir, IOException.class, "adapter set name \"../../elsewhere\" is not a plain folder name");
        Files.write(file, clean);
        editState(ckpt, n -> n.putArray("adapter_sets").add("policy"));
        refused(dir, IOException.class, file + " has no adapter set 'old', which this trainer's method keeps");
        Files.write(file, clean);
        editState(ckpt, n -> ((ObjectNode) n.get("config")).put("learning_rate", 0.001).put("seed", 12));
        refused(dir, IllegalArgumentException.class, "belongs to a run with other settings: learning_rate 0.001 in the "
                + "checkpoint, 0.003 here; seed 12 in the checkpoint, 11 here");
        Files.write(file, clean);
        editState(ckpt, n -> ((ObjectNode) n.get("strategies")).remove("ema:old"));
        refused(dir, IOException.class, file + " has no state for 'ema:old' (schedule EmaSchedule of method ");
        Files.write(file, clean);
        editState(ckpt, n -> ((ObjectNode) n.get("strategies")).putObject("adaptive_reference:reference").put("threshold", 1));
        refused(dir, IOException.class, file + " holds state for 'adaptive_reference:reference', which method ");
        Files.write(file, clean);
        editState(ckpt, n -> ((ObjectNode) n.get("strategies")).putObject("ema:old").put("decay", "high"));
        refused(dir, IOException.class, file + ": 'strategies.ema:old.decay' must be a number, got \"high\"");
        Files.write(file, clean);
        editState(ckpt, n -> n.put("format", 1));
        refused(dir, IOException.class, file + " has format 1 (written before checkpoints carried checksums and a run "
                + "identity); this version of DiffRL4J reads format 2 only");
        Files.write(file, clean);
        Files.writeString(file, "{\"format\": 2, \"epoch\": ");
        reseal(ckpt);
        refused(dir, IOException.class, file + " is not valid JSON");
        Files.write(file, clean);
        reseal(ckpt);
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            trainer.resume(dir); // and the clean one still resumes
            assertEquals(1, trainer.completedEpochs());
        }
    }

    @Test
    void aRunWithOtherSettingsIsNotResumedSilently(@TempDir Path dir) throws Exception {
        saveOneEpoch(dir);
        TrainerConfig other = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).optGroupSize(4).build();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), other).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.resume(dir));
            assertTrue(e.getMessage().contains("group_size 8 in the checkpoint, 4 here"), e.getMessage());
            assertEquals(0, trainer.completedEpochs());
        }
    }

    @Test
    void hostilePathsAndPointersAreConfinedToTheFolder(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path ckpt = saveOneEpoch(run);
        saveOneEpoch(dir.resolve("other"));
        Path latest = run.resolve("latest");
        Files.writeString(latest, "../other/checkpoint-1");
        refused(run, IOException.class, latest + " names '../other/checkpoint-1', not a checkpoint folder of " + run);
        Files.write(latest, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3});
        refused(run, IOException.class, latest + " is not text (binary content)");
        Files.writeString(latest, "checkpoint-9");
        refused(run, IOException.class, latest + " names checkpoint-9, but " + run.resolve("checkpoint-9") + " is missing");
        Files.writeString(latest, "checkpoint-1");
        Path manifest = ckpt.resolve("manifest.sha256");
        String clean = Files.readString(manifest);
        Files.writeString(manifest, clean + "0".repeat(64) + "  ../../other/checkpoint-1/state.json\n");
        refused(run, IOException.class, manifest + " line 9 names '../../other/checkpoint-1/state.json', which leaves "
                + "the checkpoint folder");
        Files.writeString(manifest, clean.replaceFirst("\n", "\nnot a manifest line\n"));
        refused(run, IOException.class, manifest + " line 2 is not '<sha256 hex>  <relative path>'");
        Files.writeString(manifest, clean);
        Path config = ckpt.resolve("adapters/policy/adapter_config.json");
        Files.writeString(config, "{ this is not json");
        reseal(ckpt);
        refused(run, IOException.class, "adapter config " + config + " is not valid JSON");
        Files.delete(manifest);
        refused(run, IOException.class, "checkpoint " + ckpt + " has no manifest.sha256");
    }

    @Test
    void anotherRunsFolderIsNeverOverwrittenOrRewound(@TempDir Path dir) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            trainer.trainUntil(2);
            trainer.save(dir);
        }
        byte[] state = Files.readAllBytes(dir.resolve("checkpoint-2/state.json"));
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer fresh = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG)
                        .addListener(new CheckpointListener(dir, 1)).build()) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> fresh.trainUntil(1));
            String message = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            assertTrue(message.contains("cannot save into " + dir + ": it holds another run's checkpoints (latest is "
                    + "checkpoint-2 of run "), message);
        }
        assertEquals("checkpoint-2", Files.readString(dir.resolve("latest")), "latest not rewound");
        assertFalse(Files.exists(dir.resolve("checkpoint-1")));
        assertArrayEquals(state, Files.readAllBytes(dir.resolve("checkpoint-2/state.json")));
        // The run itself, resumed, continues in its folder.
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer resumed = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            resumed.resume(dir);
            String run = resumed.runId();
            resumed.trainUntil(3);
            resumed.save(dir);
            assertEquals("checkpoint-3", Files.readString(dir.resolve("latest")));
            assertEquals(run, JSON.readTree(dir.resolve("checkpoint-3/state.json").toFile()).get("run_id").asText());
        }
    }

    @Test
    void leftoversAreRemovedAndTheLastEpochIsWrittenOnce(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve(".tmp-checkpoint-3-123/adapters"));
        Files.writeString(dir.resolve(".tmp-checkpoint-3-123/state.json"), "{}");
        Files.createDirectories(dir.resolve(".old-checkpoint-2-456"));
        Files.writeString(dir.resolve(".latest-789.tmp"), "checkpoint-2");
        List<Object> keys = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG)
                        .addListener(new CheckpointListener(dir, 1))
                        .addListener(new io.diffrl4j.core.train.TrainingListener() {
                            @Override
                            public void onTrainingEnd(Trainer t) {
                                keys.add(fileKey(dir.resolve("checkpoint-2")));
                            }
                        }).build()) {
            trainer.trainUntil(2);
            keys.add(fileKey(dir.resolve("checkpoint-2")));
            Path again = trainer.save(dir);
            assertEquals(dir.resolve("checkpoint-2"), again);
            keys.add(fileKey(dir.resolve("checkpoint-2")));
        }
        assertEquals(1, keys.stream().distinct().count(), "checkpoint-2 written once: " + keys);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("checkpoint-1", "checkpoint-2", "latest"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theRunIdentityIsKeptAcrossResumes(@TempDir Path dir) throws Exception {
        Path ckpt = saveOneEpoch(dir);
        String run = JSON.readTree(ckpt.resolve("state.json").toFile()).get("run_id").asText();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), CONFIG).build()) {
            assertFalse(run.equals(trainer.runId()), "a fresh trainer is a new run");
            trainer.resume(dir);
            assertEquals(run, trainer.runId());
            assertEquals(1, trainer.completedEpochs());
            assertEquals(2, trainer.globalStep());
            assertTrue(model.adapters().contains(AdapterRoles.EMA));
        }
    }

    @Test
    void aMethodRefusesTwoStrategiesThatWouldSaveUnderOneKey() {
        io.diffrl4j.core.method.Method m = TrainerLoopTest.methodWithEma();
        var twice = new java.util.ArrayList<>(m.schedules());
        twice.add(new io.diffrl4j.core.schedule.PolicyEma(AdapterRoles.EMA, 0.5, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.withSchedules(twice));
        assertEquals("method " + m.name() + ": two strategies save their checkpoint state under 'policy_ema:ema'; "
                + "override stateKey() to tell them apart", e.getMessage());
        assertEquals(List.of("ema:old", "policy_ema:ema"), m.schedules().stream().map(s -> s.stateKey()).toList());
    }
}
