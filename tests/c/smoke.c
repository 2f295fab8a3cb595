/*
 * Calls every export of include/nymidiag.h the way a C caller would and
 * frees everything it is given. Run by tests/c_abi.rs, under valgrind when
 * it is installed, which fails the test on leaks and invalid accesses.
 */
#include <stdio.h>
#include <string.h>

#include "nymidiag.h"

static int failures = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "smoke.c:%d: check failed: %s\n", __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

typedef int32_t (*capability_fn)(const uint8_t *, size_t, uint8_t **, size_t *);

/* Calls a capability export with `request` and checks the status and that
 * the out buffer holds `expect` somewhere in its JSON. */
static void capability_case(capability_fn export_fn, const char *request, int32_t expected_status,
                            const char *expect)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    int32_t status = export_fn((const uint8_t *)request, strlen(request), &out, &out_len);
    CHECK(status == expected_status);
    CHECK(out != NULL);
    CHECK(out_len > 0);
    if (out != NULL && expect != NULL) {
        /* The buffer is not NUL-terminated: search within out_len only. */
        size_t n = strlen(expect);
        int found = 0;
        for (size_t i = 0; n <= out_len && i + n <= out_len; i++) {
            if (memcmp(out + i, expect, n) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            fprintf(stderr, "expected %s in: %.*s\n", expect, (int)out_len, (const char *)out);
        }
        CHECK(found);
    }
    nymidiag_buffer_free(out, out_len);
}

int main(void)
{
    CHECK(nymidiag_abi_version() == NYMIDIAG_ABI_VERSION);

    const char *version = nymidiag_version();
    CHECK(version != NULL);
    CHECK(strcmp(version, NYMIDIAG_VERSION) == 0);

    nymidiag_buffer_free(NULL, 0);

    capability_case(nymidiag_describe, "{\"caller\":\"smoke.c\"}", NYMIDIAG_STATUS_OK,
                    "\"caller\":\"smoke.c\"");
    capability_case(nymidiag_describe, "", NYMIDIAG_STATUS_OK, "\"capability\":\"describe\"");
    capability_case(nymidiag_describe, "{", NYMIDIAG_STATUS_REQUEST_NOT_JSON, "\"REQUEST_NOT_JSON\"");
    capability_case(nymidiag_describe, "{\"nope\":1}", NYMIDIAG_STATUS_REQUEST_INVALID,
                    "\"REQUEST_INVALID\"");
    capability_case(nymidiag_describe, "{\"caller\":\"\xff\"}", NYMIDIAG_STATUS_REQUEST_NOT_UTF8,
                    "\"REQUEST_NOT_UTF8\"");

    /* A folder that does not exist is a finding, not a failure. */
    capability_case(nymidiag_cert_inventory, "{\"paths\":[\"/nonexistent/nymidiag-smoke/ksp\"]}",
                    NYMIDIAG_STATUS_OK, "\"capability\":\"cert_inventory\"");
    capability_case(nymidiag_cert_inventory, "{\"expected_local\":-1}", NYMIDIAG_STATUS_REQUEST_INVALID,
                    "\"path\":\"expected_local\"");

    /* Port 1 on loopback: nothing listens, the probe ends at the TCP stage. */
    capability_case(nymidiag_nes_probe,
                    "{\"url\":\"https://127.0.0.1:1/nes\",\"use_env_proxy\":false,"
                    "\"use_platform_roots\":false,\"tcp_timeout_ms\":2000,\"deadline_ms\":5000}",
                    NYMIDIAG_STATUS_OK, "\"NES_TCP_REFUSED\"");
    capability_case(nymidiag_nes_probe, "{}", NYMIDIAG_STATUS_REQUEST_INVALID, "missing field");

    capability_case(nymidiag_rule_list, "", NYMIDIAG_STATUS_OK, "\"LOG_NEA_CERTS_NOT_RETRIEVED\"");
    capability_case(nymidiag_log_scan, "{\"paths\":[\"/nonexistent/nymidiag-smoke/WGSS.log\"]}",
                    NYMIDIAG_STATUS_OK, "\"capability\":\"log_scan\"");
    capability_case(nymidiag_log_scan, "{\"kind\":\"syslog\"}", NYMIDIAG_STATUS_REQUEST_INVALID,
                    "\"path\":\"kind\"");

    /* No key store and no log to read: inconclusive, with the closed loopback
       port still named as the first failing stage. */
    capability_case(nymidiag_diagnose,
                    "{\"nes_url\":\"https://127.0.0.1:1/nes\","
                    "\"cert_inventory\":{\"paths\":[\"/nonexistent/nymidiag-smoke/ksp\"]},"
                    "\"log_scan\":{\"paths\":[\"/nonexistent/nymidiag-smoke/WGSS.log\"]},"
                    "\"nes_probe\":{\"use_env_proxy\":false,\"use_platform_roots\":false,"
                    "\"deadline_ms\":5000}}",
                    NYMIDIAG_STATUS_OK, "\"status_line\":\"STATUS=ERROR v=1 code=INCONCLUSIVE ksp=?/20 nes=127.0.0.1:1 stage=tcp ");
    capability_case(nymidiag_diagnose, "{\"skip\":[\"everything\"]}", NYMIDIAG_STATUS_REQUEST_INVALID,
                    "\"path\":\"skip[0]\"");
    capability_case(nymidiag_redact, "{\"text\":\"password=hunter2\"}", NYMIDIAG_STATUS_OK,
                    "\"text\":\"password=<redacted>\"");
    capability_case(nymidiag_redact,
                    "{\"path\":\"/nonexistent/nymidiag-smoke/WGSS.log\",\"encoding\":\"utf-8\"}",
                    NYMIDIAG_STATUS_IO, "\"IO_ERROR\"");
    capability_case(nymidiag_report_part,
                    "{\"part\":\"cert_inventory\",\"report\":"
                    "\"{\\\"capability\\\":\\\"diagnose\\\",\\\"data\\\":{\\\"inputs\\\":{}}}\"}",
                    NYMIDIAG_STATUS_OK, "\"span\":null");
    capability_case(nymidiag_fleet_report,
                    "{\"rows\":[{\"device_name\":\"PC-1\",\"output\":\"STATUS=OK v=1 code=HEALTHY\"}]}",
                    NYMIDIAG_STATUS_OK, "\"total\":1");
    capability_case(nymidiag_fleet_report, "{\"csv\":\"/nonexistent/nymidiag-smoke/export.csv\"}",
                    NYMIDIAG_STATUS_REQUEST_INVALID, "\"path\":\"csv\"");

    /* NULL outputs: nothing allocated, NULL_ARGUMENT returned. */
    size_t out_len = 7;
    CHECK(nymidiag_describe(NULL, 0, NULL, &out_len) == NYMIDIAG_STATUS_NULL_ARGUMENT);
    CHECK(out_len == 0);

    /* NULL request with a length: error document, freed like any other. */
    uint8_t *out = NULL;
    CHECK(nymidiag_describe(NULL, 3, &out, &out_len) == NYMIDIAG_STATUS_NULL_ARGUMENT);
    CHECK(out != NULL);
    nymidiag_buffer_free(out, out_len);

    if (failures == 0) {
        printf("smoke.c: all checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
