package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Properties;

import org.junit.Test;

/**
 * The dev console of the exported {@code dock} product in a real browser (headless chromium): it
 * asks for the development API's credentials first (refusing wrong ones), keeps its session in a
 * cookie no script can read, then the page loads, shows a thumbnail of every image stored through the API (decoded: natural width
 * above zero), and follows changes made through REST and the shell without being reloaded. The
 * screenshots are left in {@code target/} to look at.
 */
public class ConsoleBrowserIT {

    /** Every thumbnail shown is decoded, and there are {@code n} of them. */
    private static String thumbnails(int n) {
        return "(() => { const images = [...document.querySelectorAll('#images img')];"
                + " return images.length === " + n + " && images.every(i => i.complete && i.naturalWidth > 0); })()";
    }

    private static String quoted(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Test
    public void theConsoleShowsTheStoredImagesAndFollowsChangesWithoutReloading() throws Exception {
        Path work = ExportedDock.newDataFolder("console");
        Path target = work.getParent().getParent();
        SampleRomStore sample = SampleRomStore.load();
        try (ExportedDock dock = ExportedDock.start("dock", work.resolve("data"));
                HeadlessChromium browser = HeadlessChromium.start(work)) {
            DevApiClient client = new DevApiClient(dock.port());
            dock.awaitHttpPort();
            Properties credentials = DevApiClient.generatedCredentials(dock.data());
            String dockId = credentials.getProperty("dock.id");
            client.login(credentials);
            client.post("/api/docks/application/romstore", sample.request(dockId)).expect(200);

            String console = "http://127.0.0.1:" + dock.port() + "/console/";
            // Without a session the console sends the browser to its login page.
            browser.navigate(console, console + "login.html");
            browser.evaluate("document.getElementById('clientId').value = " + quoted(credentials.getProperty("client.id"))
                    + "; document.getElementById('clientSecret').value = 'wrong'"
                    + "; document.getElementById('enterpriseId').value = "
                    + quoted(credentials.getProperty("enterprise.id")) + "; document.getElementById('submit').click()");
            browser.waitFor("document.getElementById('error').textContent.includes('is wrong')", "a refused login");
            browser.evaluate("document.getElementById('clientSecret').value = "
                    + quoted(credentials.getProperty("client.secret")) + "; document.getElementById('submit').click()");
            browser.waitFor("location.pathname === '/console/'", "the console after logging in");
            assertEquals("the session cookie is HttpOnly", "", browser.evaluate("document.cookie").asText());
            browser.waitFor("document.getElementById('status').textContent === 'live'", "the live feed to connect");
            browser.waitFor(thumbnails(3), "three decoded thumbnails");
            assertEquals("dock " + dockId, browser.evaluate("document.getElementById('dock').textContent").asText());
            assertEquals(1920, browser.evaluate("[...document.querySelectorAll('#images img')]"
                    + ".find(i => i.alt === 'default').naturalWidth").asInt());
            String keys = browser.evaluate("document.querySelector('#kv tbody').innerText").asText();
            assertTrue(keys, keys.contains("dock_name") && keys.contains("RW02-0005") && keys.contains("rom"));
            browser.screenshot(target.resolve("console-loaded.png"));

            // A mark in the page's own state: a reload would lose it.
            browser.evaluate("window.consoleProbe = 'not reloaded'");

            // Changes through REST (code deploy) and the shell (a key, an image) appear by themselves.
            client.post("/api/docks/application/code", DevApiClient.document("applicationCode", DevApiClient.object()
                    .put("dockId", dockId).put("code", Base64.getEncoder().encodeToString(
                            "print('from the console test')".getBytes(StandardCharsets.UTF_8))))).expect(200);
            browser.waitFor("document.getElementById('code').innerText.includes('ephemeral')",
                    "the deployed code's partition");
            dock.shell("datastore:kvput -p runtime dock_name Console-Test-Dock");
            browser.waitFor("document.querySelector('#kv tbody').innerText.includes('Console-Test-Dock')",
                    "the new value of dock_name");
            Path photo = SampleRomStore.sampleFolder().resolve("images/small.jpg");
            dock.shell("datastore:imageput -p ephemeral camera " + photo);
            browser.waitFor(thumbnails(4), "a fourth decoded thumbnail");
            // A ROM store replace posts change events like any write: a new ROM key appears by itself.
            com.fasterxml.jackson.databind.node.ObjectNode replaced = sample.request(dockId);
            ((com.fasterxml.jackson.databind.node.ObjectNode) replaced.path("data").path("attributes").path("kvStore"))
                    .put("rom_marker", "from-the-replaced-rom");
            client.post("/api/docks/application/romstore", replaced).expect(200);
            browser.waitFor("document.querySelector('#kv tbody').innerText.includes('from-the-replaced-rom')",
                    "the replaced ROM's new key");
            assertEquals("not reloaded", browser.evaluate("window.consoleProbe").asText());
            String partitions = browser.evaluate("document.getElementById('partitions').innerText").asText();
            assertTrue(partitions, partitions.contains("1 key, 0 images, no code")
                    && partitions.contains("4 keys, 3 images, code"));
            String cards = browser.evaluate("document.getElementById('images').innerText").asText();
            assertTrue(cards, cards.contains("camera") && cards.contains("JPEG") && cards.contains("ephemeral"));
            browser.screenshot(target.resolve("console-updated.png"));
            assertTrue(Files.size(target.resolve("console-updated.png")) > 10_000);
            dock.stop();
        }
    }
}
