/* The catalogue (事项实施清单), owned by intake (docs/intake.md "Catalogue"):
 *   POST /v1/admin/catalogue/items                       intake.put_items (admin, audited)
 *   GET  /v1/catalogue/items                             intake.list_items (staff; filters, paged)
 *   GET  /v1/catalogue/items/{impl_code}                 intake.get_item (staff; ?version)
 *   GET  /v1/catalogue/export                            intake.export_catalogue (staff)
 *   POST /v1/admin/catalogue/imports                     intake.begin_import (admin) → 201
 *   POST /v1/admin/catalogue/imports/{import_id}/rows    intake.import_rows (admin)
 *   POST /v1/admin/catalogue/imports/{import_id}/commit  intake.commit_import (admin, audited)
 *   GET  /v1/admin/catalogue/imports/{import_id}         intake.get_import (admin)
 * The gateway checks shape only; the law of an item (catalogue_rules) is intake's. */
#include "serve.h"

#include "forward.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_ADMIN_WRITE (FORWARD_STATE_CHANGE | FORWARD_AUDIT)

static const forward_spec_t s_put_items = {API_INTAKE,
                                           "intake.put_items",
                                           &onewindow__v1__put_items__descriptor,
                                           &onewindow__v1__put_items_reply__descriptor,
                                           NULL,
                                           S_ADMIN_WRITE,
                                           200,
                                           NULL,
                                           NULL,
                                           NULL,
                                           NULL};

static const forward_spec_t s_list_items = {API_INTAKE,
                                            "intake.list_items",
                                            &onewindow__v1__list_items__descriptor,
                                            &onewindow__v1__item_list__descriptor,
                                            NULL,
                                            0,
                                            200,
                                            NULL,
                                            NULL,
                                            NULL,
                                            NULL};

static const forward_spec_t s_get_item = {API_INTAKE,
                                          "intake.get_item",
                                          &onewindow__v1__get_item__descriptor,
                                          &onewindow__v1__catalogue_item__descriptor,
                                          "impl_code",
                                          0,
                                          200,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};

static const forward_spec_t s_export = {API_INTAKE,
                                        "intake.export_catalogue",
                                        &onewindow__v1__export_catalogue__descriptor,
                                        &onewindow__v1__item_list__descriptor,
                                        NULL,
                                        0,
                                        200,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL};

static const forward_spec_t s_begin_import = {API_INTAKE,
                                              "intake.begin_import",
                                              &onewindow__v1__begin_import__descriptor,
                                              &onewindow__v1__import_status__descriptor,
                                              NULL,
                                              FORWARD_STATE_CHANGE,
                                              201,
                                              NULL,
                                              NULL,
                                              NULL,
                                              NULL};

static const forward_spec_t s_import_rows = {API_INTAKE,
                                             "intake.import_rows",
                                             &onewindow__v1__import_rows__descriptor,
                                             &onewindow__v1__import_rows_reply__descriptor,
                                             "import_id",
                                             FORWARD_STATE_CHANGE,
                                             200,
                                             NULL,
                                             NULL,
                                             NULL,
                                             NULL};

static const forward_spec_t s_commit_import = {API_INTAKE,
                                               "intake.commit_import",
                                               &onewindow__v1__commit_import__descriptor,
                                               &onewindow__v1__import_status__descriptor,
                                               "import_id",
                                               S_ADMIN_WRITE,
                                               200,
                                               NULL,
                                               NULL,
                                               NULL,
                                               NULL};

static const forward_spec_t s_get_import = {API_INTAKE,
                                            "intake.get_import",
                                            &onewindow__v1__get_import__descriptor,
                                            &onewindow__v1__import_status__descriptor,
                                            "import_id",
                                            0,
                                            200,
                                            NULL,
                                            NULL,
                                            NULL,
                                            NULL};

void serve_put_catalogue_items(api_t *self, exchange_t *ex, const char *param,
                               const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_put_items);
}

void serve_list_catalogue_items(api_t *self, exchange_t *ex, const char *param,
                                const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_list_items);
}

void serve_get_catalogue_item(api_t *self, exchange_t *ex, const char *param,
                              const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_get_item);
}

void serve_export_catalogue(api_t *self, exchange_t *ex, const char *param,
                            const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_export);
}

void serve_begin_catalogue_import(api_t *self, exchange_t *ex, const char *param,
                                  const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_begin_import);
}

void serve_catalogue_import_rows(api_t *self, exchange_t *ex, const char *param,
                                 const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_import_rows);
}

void serve_commit_catalogue_import(api_t *self, exchange_t *ex, const char *param,
                                   const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_commit_import);
}

void serve_get_catalogue_import(api_t *self, exchange_t *ex, const char *param,
                                const access_principal_t *who)
{
    forward_serve(self, ex, param, who, &s_get_import);
}
