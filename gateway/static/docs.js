// Swagger UI on the gateway's own /openapi.json; every URL is relative to /docs, so the page
// also works behind a proxy that mounts the gateway under a path.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  // No call to validator.swagger.io: the page must work offline and send nothing elsewhere.
  validatorUrl: null,
});
