package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.examples.cli.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/sd35-finetune as a command: help, bad input, the default run, paths and the output-folder rule. */
class Sd35CommandTest {
    @TempDir
    Path cwd;

    private CommandResult finetune(String... args) {
        return CommandResult.run(Sd35Finetune::run, cwd, args);
    }

    @Test
    void helpDescribesEveryOptionAndCreatesNothing() throws Exception {
        CommandResult help = finetune("-h");
        help.assertHelp(List.of("usage: bin/sd35-finetune [options]", "docs/ALGORITHMS.md sections 7.7 and 9",
                "--model DIR ", "--prompts FILE ", "--method METHOD ", "(default: gardo)", "--reward SPECS ", "(default: ocr)",
                "--auxiliary-rewards SPECS ", "(default: jpeg)", "--group-size G ", "(default: 24)", "--lr LR ",
                "(default: the method's own: 3e-4, grpo-guard 1e-4", "--dry-run ", "--resume ", "--overwrite ", "--config FILE ", "aesthetic=DIR"));
        assertEquals(List.of(), CommandResult.contents(cwd));
    }

    @Test
    void badInputIsNamedAsTypedInOneLine() throws Exception {
        String[] need = {"--model", "m", "--prompts", "p"};
        finetune(with(need, "--epochs", "2.5")).assertUsageError("bin/sd35-finetune", "--epochs 2.5: must be a whole number");
        finetune(with(need, "--method", "grpo")).assertUsageError("bin/sd35-finetune",
                "--method grpo: unknown method; choose one of [gardo, crd, flow-grpo, flow-grpo-kl, diffusion-nft, grpo-guard, mix-grpo, dance-grpo, awm, dgpo, tempflow-grpo]");
        finetune(with(need, "--resolution", "100")).assertUsageError("bin/sd35-finetune",
                "--resolution 100: must be a multiple of 16");
        finetune(with(need, "--reward", "jpeg")).assertUsageError("bin/sd35-finetune", "--auxiliary-rewards jpeg: gardo's "
                + "gate needs an auxiliary reward other than the reward 'jpeg' (the paper uses Aesthetic and ImageReward, "
                + "e.g. --auxiliary-rewards aesthetic=DIR)");
        finetune("--method", "crd").assertUsageError("bin/sd35-finetune", "--model DIR and --prompts FILE are required");
        finetune("--epoch", "3").assertUsageError("bin/sd35-finetune", "unknown option --epoch; did you mean --epochs?");
        assertEquals(List.of(), CommandResult.contents(cwd));
    }

    @Test
    void diffusionNftTakesItsReferenceOptimizerStepsPerReward() throws Exception {
        // config/nft.py: gradient_step_per_epoch 1 for sd3_geneval and sd3_pickscore, 2 for sd3_ocr
        String[] nft = {"--model", "sd", "--prompts", "p.txt", "--method", "diffusion-nft"};
        assertEquals(2, Sd35Options.parse(nft, cwd).optimizerSteps(), "ocr, the default reward");
        assertEquals(1, Sd35Options.parse(with(nft, "--reward", "geneval=http://127.0.0.1:18085"), cwd).optimizerSteps());
        assertEquals(1, Sd35Options.parse(with(nft, "--reward", "pickscore=dir"), cwd).optimizerSteps());
        assertEquals(3, Sd35Options.parse(with(nft, "--reward", "pickscore=dir", "--optimizer-steps", "3"), cwd)
                .optimizerSteps(), "a typed value wins");
        String[] grpo = {"--model", "sd", "--prompts", "p.txt", "--method", "flow-grpo", "--reward", "pickscore=dir"};
        assertEquals(2, Sd35Options.parse(grpo, cwd).optimizerSteps(), "the other methods keep 2");
    }

    @Test
    void klBetaIsTheMethodsOwnUnlessGiven() throws Exception {
        String[] grpo = {"--model", "sd", "--prompts", "p.txt", "--method", "flow-grpo-kl", "--reward", "pickscore=dir"};
        Sd35Options own = Sd35Options.parse(grpo, cwd);
        assertEquals(null, own.klBeta());
        assertTrue(!own.toJson().has("kl-beta"), "configs without it read as before");
        Sd35Options given = Sd35Options.parse(with(grpo, "--kl-beta", "0.01"), cwd);
        assertEquals(0.01, given.klBeta());
        assertEquals(0.01, given.toJson().get("kl-beta").asDouble());
        finetune(with(grpo, "--kl-beta", "-1")).assertUsageError("bin/sd35-finetune", "--kl-beta -1: must be a number >= 0");
    }

    @Test
    void theLearningRateIsTheMethodsOwnUnlessGiven() throws Exception {
        String[] guard = {"--model", "sd", "--prompts", "p.txt", "--method", "grpo-guard", "--reward", "pickscore=dir"};
        assertEquals(1e-4, Sd35Options.parse(guard, cwd).learningRate(), "GRPO-Guard's configs");
        assertEquals(2e-4, Sd35Options.parse(with(guard, "--lr", "2e-4"), cwd).learningRate());
        assertEquals(3e-4, Sd35Options.parse(new String[] {"--model", "sd", "--prompts", "p.txt", "--method", "dance-grpo"}, cwd)
                .learningRate(), "a LoRA's rate, not the full fine-tune's 1e-5");
    }

    @Test
    void theDefaultsMakeARunnableGardoRun() throws Exception {
        Sd35Options o = Sd35Options.parse(new String[] {"--model", "sd", "--prompts", "ocr/train.txt"}, cwd);
        assertEquals("gardo", o.method());
        assertEquals("ocr", o.reward());
        assertEquals("jpeg", o.auxiliaryRewards(), "GARDO's gate compares with a reward that needs no weights");
        assertEquals(cwd.resolve("sd"), o.model());
        assertEquals(cwd.resolve("ocr/train.txt"), o.prompts());
        assertEquals(cwd.resolve("runs/sd35-gardo"), o.out());
        // the default auxiliary reward is left out where it is the reward, for methods without a gate
        Sd35Options crd = Sd35Options.parse(new String[] {"--model", "sd", "--prompts", "p", "--method", "crd",
            "--reward", "jpeg"}, cwd);
        assertNull(crd.auxiliaryRewards());
        assertNull(Sd35Options.parse(new String[] {"--model", "sd", "--prompts", "p", "--auxiliary-rewards", "none",
            "--method", "crd"}, cwd).auxiliaryRewards());
    }

    @Test
    void relativePathsInAConfigFileAreTheCallersToo() throws Exception {
        Files.writeString(cwd.resolve("run.json"), "{\"model\": \"models/sd\", \"epochs\": 7, \"out\": \"here\"}");
        Sd35Options o = Sd35Options.parse(new String[] {"--config", "run.json", "--prompts", "p", "--epochs", "9"}, cwd);
        assertEquals(cwd.resolve("models/sd"), o.model());
        assertEquals(cwd.resolve("here"), o.out());
        assertEquals(9, o.epochs(), "the command line wins over the file");
        finetune("--config", "run.json", "--prompts", "p", "--lr", "0").assertUsageError("bin/sd35-finetune",
                "--lr 0: must be a positive number");
    }

    @Test
    void anOutputFolderInUseIsRefused() throws Exception {
        Files.createDirectories(cwd.resolve("runs/sd35-gardo"));
        Files.writeString(cwd.resolve("runs/sd35-gardo/metrics.csv"), "epoch\n0\n");
        finetune("--model", "sd", "--prompts", "p").assertUsageError("bin/sd35-finetune", "--out runs/sd35-gardo (the "
                + "default): the folder exists and is not empty; give --resume to continue that run or --overwrite to "
                + "replace it");
        CommandResult missing = finetune("--model", "sd", "--prompts", "p", "--out", "fresh");
        assertEquals(1, missing.status(), missing.err());
        assertEquals(1, missing.errLines().size(), missing.err());
        assertTrue(missing.err().startsWith("bin/sd35-finetune: "), missing.err());
        assertEquals("bin/sd35-finetune: --model " + cwd.resolve("sd") + ": no such folder", missing.errLines().get(0));
        assertTrue(!Files.exists(cwd.resolve("fresh")), "a failed start leaves no output folder");
    }

    private static String[] with(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }
}
