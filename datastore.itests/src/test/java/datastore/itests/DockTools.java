package datastore.itests;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The dock's command-line tools (the CLI jar) as the integration tests run them, in a child JVM. */
final class DockTools {

    private DockTools() {
    }

    /** What one run of the tools printed, and how it ended. */
    record Run(int status, String output) {
    }

    static Run tools(Path workDir, String... args) throws Exception {
        String jar = System.getProperty("itest.tools.jar");
        List<String> command = new ArrayList<>(List.of(ExportedDock.javaCommand(), "-jar", jar));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("the tools did not end: " + output, process.waitFor(120, TimeUnit.SECONDS));
        return new Run(process.exitValue(), output);
    }

    /** The protocol's sample ROM description (a copy under the test resources) in a folder of its own. */
    static Path sample(Path folder) throws IOException {
        Path source = Paths.get("src/test/resources/sample").toAbsolutePath();
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path target = folder.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return folder.resolve("rom_store_config.yaml");
    }
}
