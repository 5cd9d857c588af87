package config

// admin decodes the admin HTTP listener's settings.
func (d *decoder) admin(top *Object, c *Config) {
	ad := d.object(top.get("admin"), "admin")
	c.Admin.Listen = ad.str("listen", DefaultAdmin)
	c.Admin.Pos = d.pos(ad.get("listen"))
	if n := ad.get("listen"); n != nil && c.Admin.Listen != "" {
		d.checkHostPort(n, "admin.listen", c.Admin.Listen)
	}
	ad.done()
}
