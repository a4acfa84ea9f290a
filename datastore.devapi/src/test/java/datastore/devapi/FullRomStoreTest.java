package datastore.devapi;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import datastore.testsupport.Configurations;
import datastore.testsupport.FakeImageFormat;
import datastore.testsupport.FakeRomProvisioning;

import org.junit.Test;

/** With the default limit, a ROM store of the full 13 MiB payload passes in one request; a larger body does not. */
public class FullRomStoreTest {

    @Test
    public void aFullRomStoreFitsTheDefaultLimit() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("dock", "c", "s", "e"),
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        RomStoreServlet servlet = new RomStoreServlet(api);
        FakeRomProvisioning rom = new FakeRomProvisioning();
        servlet.provisioning = rom;
        servlet.imageFormat = new FakeImageFormat();
        String token = api.login("c", "s", "e").token();

        byte[] image = Arrays.copyOf(FakeImageFormat.PNG, 12 * 1024 * 1024);
        byte[] code = new byte[1024 * 1024 - 64];
        Arrays.fill(code, (byte) '#');
        String body = DevApiHttpTest.romBody("dock", Base64.getEncoder().encodeToString(code),
                "{\"brand\": \"ACME\"}", "{\"splash\": {\"type\": \"PNG\", \"data\": \""
                        + Base64.getEncoder().encodeToString(image) + "\"}}");
        assertTrue(body.length() > 17 * 1024 * 1024);
        try (TestServer server = new TestServer(Map.of(RomStoreServlet.PATH, servlet))) {
            TestServer.Reply reply = server.post(RomStoreServlet.PATH, token, body);
            assertEquals(reply.text(), 200, reply.status());
            assertArrayEquals(image, rom.content.images().get("splash").data());
            assertArrayEquals(code, rom.content.code());

            String tooLarge = DevApiHttpTest.romBody("dock", Base64.getEncoder().encodeToString(new byte[16 << 20]),
                    "{}", "{}");
            reply = server.post(RomStoreServlet.PATH, token, tooLarge);
            DevApiHttpTest.assertErrors(reply, 413, "body: " + tooLarge.getBytes(StandardCharsets.UTF_8).length
                    + " bytes is more than the limit of " + DevApiConfiguration.DEFAULT_MAX_BODY_BYTES);
            assertEquals(2, rom.generation);
        }
    }
}
